import NIOCore

/// Runs tasks on a NIO event loop. The test service's calls run on their connection's loop: on
/// the cooperative pool they waited behind the other test cases' long synchronous work, up to
/// 13 s for an EmptyCall in a full local run and past the client's 30 s deadline in CI.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
