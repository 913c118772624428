package import C360Model
import GRPCCore
import Synchronization

/// The standard `grpc.health.v1.Health` service: `SERVING` while c360 serves, `NOT_SERVING` once
/// it begins to shut down, for the whole server ("") and for `c360.v1.ProfileService`.
public struct HealthRPCService: Sendable {
    /// The services health is reported for.
    static let services: Set<String> = ["", "c360.v1.ProfileService"]
    let status: ServingStatus

    public init(status: ServingStatus) {
        self.status = status
    }

    package func check(_ request: Grpc_Health_V1_HealthCheckRequest) throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.services.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service \(request.service)")
        }
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status.isServing ? .serving : .notServing
        return response
    }

    /// `Watch` for any transport: the status now, then each change, until serving stops.
    package func watch(
        _ request: Grpc_Health_V1_HealthCheckRequest, write: @Sendable (Grpc_Health_V1_HealthCheckResponse) async throws -> Void
    ) async throws {
        var message = Grpc_Health_V1_HealthCheckResponse()
        guard Self.services.contains(request.service) else {
            message.status = .serviceUnknown
            try await write(message)
            return
        }
        for await serving in status.updates() {
            message.status = serving ? .serving : .notServing
            try await write(message)
        }
    }
}

/// Whether the server is serving, and a stream of changes to it for health watchers.
public final class ServingStatus: Sendable {
    private struct State {
        var serving = true
        var watchers: [Int: AsyncStream<Bool>.Continuation] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isServing: Bool { state.withLock { $0.serving } }

    /// Reports `NOT_SERVING` to every checker and watcher from now on.
    public func stopServing() {
        let watchers = state.withLock { state in
            state.serving = false
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            watcher.yield(false)
            watcher.finish()
        }
    }

    /// The current status, then each change.
    func updates() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int in
            state.nextID += 1
            continuation.yield(state.serving)
            if state.serving {
                state.watchers[state.nextID] = continuation
            } else {
                continuation.finish()
            }
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}
