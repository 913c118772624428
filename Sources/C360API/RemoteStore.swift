public import C360Core
public import C360Model
import C360Service
public import C360Store
import GRPCCore
import GRPCNIOTransportHTTP2

/// A running c360 server seen through its API: what the command line's `--server` option talks to.
///
/// ```swift
/// try await RemoteStore.withConnection(to: "127.0.0.1:50051") { remote in
///     let profile = try await remote.profile(customerID: "cust_42")
/// }
/// ```
public struct RemoteStore: EventAppender {
    let service: C360_V1_ProfileService.Client<HTTP2ClientTransport.Posix>
    /// Sent with every call: the access token, if any.
    let metadata: Metadata

    /// The environment variable the command line reads an access token from (never a flag: flags
    /// show in `ps` and in shell history).
    public static let tokenVariable = "C360_TOKEN"

    /// Connects to `address` (`HOST:PORT`), runs `body`, then closes the connection. Each call
    /// carries `token` as a bearer token if given.
    public static func withConnection<Result: Sendable>(
        to address: String, token: String? = nil, _ body: (RemoteStore) async throws -> Result
    ) async throws -> Result {
        let (host, port) = try ListenAddress.parse(address)
        var metadata: Metadata = [:]
        if let token, !token.isEmpty { metadata.addString("Bearer \(token)", forKey: "authorization") }
        return try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: host, port: port), transportSecurity: .plaintext)
        ) { client in
            try await body(RemoteStore(service: C360_V1_ProfileService.Client(wrapping: client), metadata: metadata))
        }
    }

    public func profile(customerID: String, asOf: Instant? = nil) async throws -> C360_V1_Profile {
        var request = C360_V1_GetProfileRequest()
        request.customerID = customerID
        if let asOf { request.asOf = asOf.timestamp }
        return try await service.getProfile(request, metadata: metadata).profile
    }

    public func profile(identity: C360_V1_Identity, asOf: Instant? = nil) async throws -> C360_V1_Profile {
        var request = C360_V1_GetProfileRequest()
        request.identity = identity
        if let asOf { request.asOf = asOf.timestamp }
        return try await service.getProfile(request, metadata: metadata).profile
    }

    public func timeline(customerID: String, limit: Int, beforeSeq: UInt64?) async throws -> [C360_V1_LoggedEvent] {
        var request = C360_V1_GetTimelineRequest()
        request.customerID = customerID
        request.pageSize = Int32(clamping: limit)
        if let beforeSeq { request.pageToken = TimelinePageToken.encode(beforeSeq: beforeSeq) }
        return try await service.getTimeline(request, metadata: metadata).events
    }

    public func segmentPage(_ segment: String, pageSize: Int, pageToken: String) async throws -> C360_V1_ListSegmentResponse {
        var request = C360_V1_ListSegmentRequest()
        request.segment = segment
        request.pageSize = Int32(clamping: pageSize)
        request.pageToken = pageToken
        return try await service.listSegment(request, metadata: metadata)
    }

    public func erase(customerID: String, requestID: String) async throws -> C360_V1_EraseReceipt {
        var request = C360_V1_EraseCustomerRequest()
        request.customerID = customerID
        request.requestID = requestID
        return try await service.eraseCustomer(request, metadata: metadata)
    }

    /// Asks the server for a backup into the set `destination`, a directory on the server.
    public func backup(into destination: String) async throws -> C360_V1_BackupManifest {
        var request = C360_V1_CreateBackupRequest()
        request.destination = destination
        return try await service.createBackup(request, metadata: metadata)
    }

    /// Appends through `AppendEvents`. A failed call rejects every event of the batch with the
    /// call's error, so the caller reports them and nothing is silently lost.
    public func append(_ events: [C360_V1_Event]) async -> [AppendOutcome] {
        var request = C360_V1_AppendEventsRequest()
        request.events = events
        do {
            let response = try await service.appendEvents(request, metadata: metadata)
            var outcomes = [AppendOutcome](repeating: .rejected(C360Error(.internalError, "the server gave no result for this event")), count: events.count)
            for result in response.results where Int(result.index) < events.count {
                outcomes[Int(result.index)] = switch result.result {
                case .seq(let seq): .appended(seq: seq)
                case .duplicateOfSeq(let seq): .duplicate(seq: seq)
                case .error(let error): .rejected(C360Error(appendError: error))
                case nil: .rejected(C360Error(.internalError, "the server gave an empty result for this event"))
                }
            }
            return outcomes
        } catch {
            let failure = C360Error(.unavailable, "the server did not take the batch: \(error)")
            return events.map { _ in .rejected(failure) }
        }
    }
}
