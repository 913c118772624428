import GRPCCore

/// Runs `body`, a streaming response's wait for changes, until it ends or the client goes away.
///
/// grpc-swift signals a cancelled RPC (the client cancelled, the connection dropped, the deadline
/// passed) through `context.cancellation`, not by cancelling the handler's task: a watch waiting
/// for changes that concern nobody else would otherwise hold its subscription, and count as a
/// subscriber, until the next change for its customers failed to be written — perhaps never.
/// Here the wait is cancelled as soon as the RPC is, which ends the subscription's stream.
func untilRPCCancelled(_ context: ServerContext, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let cancellation = context.cancellation
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask { try await cancellation.cancelled }
        // Whichever ends first: the body (done, or failed), or the RPC's cancellation.
        try await group.next()
        group.cancelAll()
    }
}
