import Foundation

/// Transforms items on worker threads and hands the results to the calling thread in item order,
/// while the workers go on with the next items: each worker takes the next item not yet taken, and
/// runs at most `ahead` items ahead of what the calling thread has consumed, so memory stays
/// bounded.
///
/// Replay folds ranges of the log this way: the folding and the comparing and writing of what was
/// folded overlap. (Waves of ranges folded together, then consumed while the workers waited,
/// left the cores idle part of the time.)
enum OrderedParallelMap {
    /// Runs `transform` over `items` on `workers` threads and `consume` on each result in order.
    /// The first error, of either, stops the work and is rethrown once every worker has stopped.
    static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], workers: Int, ahead: Int,
        transform: @escaping @Sendable (Item) throws -> Output,
        consume: (Output) throws -> Void
    ) throws {
        let pipeline = Pipeline<Output>()
        let window = max(1, ahead)
        let finished = DispatchGroup()
        for _ in 0..<max(1, workers) {
            DispatchQueue.global(qos: .userInitiated).async(group: finished) {
                while let index = pipeline.claim(below: items.count, window: window) {
                    pipeline.deliver(Result { try transform(items[index]) }, at: index)
                }
            }
        }
        defer {
            pipeline.stop()
            finished.wait()
        }
        for index in items.indices {
            try consume(try pipeline.take(index).get())
        }
    }

    // @unchecked Sendable: every stored property is read and written only while `condition` is locked.
    private final class Pipeline<Output>: @unchecked Sendable {
        private let condition = NSCondition()
        private var next = 0
        private var consumed = 0
        private var results: [Int: Result<Output, any Error>] = [:]
        private var stopped = false

        /// The next item for a worker, once it is within the window; `nil` when there is none or
        /// the work stopped.
        func claim(below count: Int, window: Int) -> Int? {
            condition.lock()
            defer { condition.unlock() }
            while !stopped && next < count && next >= consumed + window { condition.wait() }
            guard !stopped && next < count else { return nil }
            next += 1
            return next - 1
        }

        func deliver(_ result: Result<Output, any Error>, at index: Int) {
            condition.lock()
            results[index] = result
            condition.broadcast()
            condition.unlock()
        }

        /// The result of item `index`, waiting for it.
        func take(_ index: Int) -> Result<Output, any Error> {
            condition.lock()
            defer { condition.unlock() }
            while results[index] == nil { condition.wait() }
            consumed = index + 1
            condition.broadcast()
            return results.removeValue(forKey: index)!
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
