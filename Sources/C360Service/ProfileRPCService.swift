package import C360Codec
package import C360Core
package import C360Model
public import C360Store
import Foundation
import GRPCCore
public import Logging
import SwiftProtobuf
import CoreMetrics

/// The `c360.v1.ProfileService` API over an `EventStore`: it validates each request, calls the
/// store, and returns the answer or throws a `C360Error`. The transport (`C360Routes`) decodes,
/// authorizes and encodes around it; each RPC is implemented here once.
public final class ProfileRPCService: Sendable {
    package let store: EventStore
    package let limits: APILimits
    package let access: AccessControl
    /// The directory `CreateBackup` may write backup sets in; `nil`: it writes none.
    package let backupRoot: String?
    let logger: Logger

    public init(
        store: EventStore, limits: APILimits = .init(), access: AccessControl = .off, backupRoot: String? = nil,
        logger: Logger = Logger(label: "c360.api")
    ) {
        self.store = store
        self.limits = limits
        self.access = access
        ServiceMetrics.prepare()
        self.backupRoot = backupRoot.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path }
        self.logger = logger
    }

    /// `GetProfile` for any transport, with the caller bound as `Caller.current`.
    package func getProfile(_ request: C360_V1_GetProfileRequest) async throws -> C360_V1_GetProfileResponse {
        try await waitFor(minSeq: request.minSeq)
        return try profile(request, personalData: access.seesPersonalData(Caller.current))
    }

    /// `getProfile`, encoded.
    package func getProfileEncoded(_ request: C360_V1_GetProfileRequest) async throws -> [UInt8] {
        try await waitFor(minSeq: request.minSeq)
        return try profileEncoded(request, personalData: access.seesPersonalData(Caller.current))
    }

    /// `GetProfile` once `min_seq` is reached: synchronous, so that the fast path can run it on
    /// the connection's event loop. Without `personalData`, the personal fields are redacted.
    package func profile(_ request: C360_V1_GetProfileRequest, personalData: Bool) throws(C360Error) -> C360_V1_GetProfileResponse {
        try Self.decoded(try profileEncoded(request, personalData: personalData))
    }

    /// `profile(_:personalData:)`, the `GetProfileResponse`'s bytes as the store encodes them.
    package func profileEncoded(_ request: C360_V1_GetProfileRequest, personalData: Bool) throws(C360Error) -> [UInt8] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { ServiceMetrics.recordLookup(since: start) }
        let asOf = request.hasAsOf ? try Self.instant(request.asOf, field: "as_of") : nil
        switch request.key {
        case .customerID(let id):
            guard !id.isEmpty else { throw C360Error.invalid("customer_id", "is required") }
            return try store.encodedProfile(customerID: id, asOf: asOf, redacted: !personalData).getProfileResponse
        case .identity(let identity):
            return try store.encodedProfile(identity: identity, asOf: asOf, redacted: !personalData).getProfileResponse
        case nil:
            throw C360Error.invalid("key", "give a customer_id or an identity")
        }
    }

    /// A time a request gives, refused with the field named unless it is a valid timestamp.
    static func instant(_ timestamp: Google_Protobuf_Timestamp, field: String) throws(C360Error) -> Instant {
        guard let instant = Instant(validating: timestamp) else {
            throw C360Error.invalid(field, "is not a valid timestamp (years 1 to 9999, nanos 0 to 999999999)")
        }
        return instant
    }

    static func decoded<Response: SwiftProtobuf.Message>(_ bytes: [UInt8]) throws(C360Error) -> Response {
        do {
            return try Response(serializedBytes: bytes)
        } catch {
            throw C360Error(.internalError, "c360 encoded a response it cannot decode: \(error)")
        }
    }

    package func batchGetProfiles(_ request: C360_V1_BatchGetProfilesRequest) async throws -> C360_V1_BatchGetProfilesResponse {
        try Self.decoded(try await batchGetProfilesEncoded(request))
    }

    /// `batchGetProfiles`, encoded.
    package func batchGetProfilesEncoded(_ request: C360_V1_BatchGetProfilesRequest) async throws -> [UInt8] {
        try checkBatchRequest(request)
        try await waitFor(minSeq: request.minSeq)
        return profilesEncoded(request, personalData: access.seesPersonalData(Caller.current))
    }

    /// Refuses a batch larger than the limit, or one whose `as_of` is not a valid timestamp.
    package func checkBatchRequest(_ request: C360_V1_BatchGetProfilesRequest) throws(C360Error) {
        guard request.customerIds.count <= limits.maxBatchLookups else {
            throw C360Error(.resourceExhausted, "at most \(limits.maxBatchLookups) ids per request, got \(request.customerIds.count)", field: "customer_ids")
        }
        if request.hasAsOf { _ = try Self.instant(request.asOf, field: "as_of") }
    }

    /// `BatchGetProfiles` once its size is checked and `min_seq` reached, the response's bytes:
    /// each customer's profile as the store encodes it, or why there is none.
    package func profilesEncoded(_ request: C360_V1_BatchGetProfilesRequest, personalData: Bool) -> [UInt8] {
        // One time for the whole batch (checked by `checkBatchRequest`).
        let asOf = request.hasAsOf ? Instant(request.asOf) : nil
        let now = Instant.now
        let results = request.customerIds.map { id -> (customerID: String, result: ProfileWireEncoder.BatchResult) in
            do throws(C360Error) {
                guard !id.isEmpty else { throw C360Error.invalid("customer_ids", "an id is empty") }
                return (id, .profile(try store.encodedProfile(customerID: id, asOf: asOf, now: now, redacted: !personalData).profile))
            } catch {
                var lookupError = C360_V1_LookupError()
                lookupError.code = switch error.code {
                case .notFound: .notFound
                case .erased: .erased
                default: .invalid
                }
                lookupError.message = error.description
                return (id, .error(lookupError))
            }
        }
        return ProfileWireEncoder.batchGetProfilesResponse(results)
    }

    package func getTimeline(_ request: C360_V1_GetTimelineRequest) throws -> C360_V1_GetTimelineResponse {
        guard !request.customerID.isEmpty else { throw C360Error.invalid("customer_id", "is required") }
        guard request.pageSize >= 0 else { throw C360Error.invalid("page_size", "must not be negative") }
        let pageSize = request.pageSize == 0 ? 50 : Int(request.pageSize)
        guard pageSize <= limits.maxTimelinePage else {
            throw C360Error(.resourceExhausted, "page_size is at most \(limits.maxTimelinePage)", field: "page_size")
        }
        var before = try TimelinePageToken.decode(request.pageToken)
        let kinds = Set(request.kinds)
        if kinds.contains(.unspecified) { throw C360Error.invalid("kinds", "EVENT_KIND_UNSPECIFIED is not a kind") }
        let after = request.hasOccurredAfter ? try Self.instant(request.occurredAfter, field: "occurred_after") : nil
        let until = request.hasOccurredBefore ? try Self.instant(request.occurredBefore, field: "occurred_before") : nil

        let personalData = access.seesPersonalData(Caller.current)
        var response = C360_V1_GetTimelineResponse()
        response.personalDataRedacted = !personalData
        scanning: while true {
            let chunk = try store.timeline(customerID: request.customerID, limit: max(pageSize, 256), beforeSeq: before)
            for var logged in chunk {
                before = logged.seq
                if matches(logged.event, kinds: kinds, after: after, before: until) {
                    if !personalData { PersonalDataRedaction.redact(&logged.event) }
                    response.events.append(logged)
                    if response.events.count == pageSize {
                        // Only promise another page if there is an older event at all.
                        if logged.seq > 1, try !store.timeline(customerID: request.customerID, limit: 1, beforeSeq: logged.seq).isEmpty {
                            response.nextPageToken = TimelinePageToken.encode(beforeSeq: logged.seq)
                        }
                        break scanning
                    }
                }
            }
            if chunk.count < max(pageSize, 256) { break }
        }
        return response
    }

    private func matches(_ event: C360_V1_Event, kinds: Set<C360_V1_EventKind>, after: Instant?, before: Instant?) -> Bool {
        if !kinds.isEmpty, !kinds.contains(EventKindOf.kind(of: event)) { return false }
        let occurredAt = Instant(event.occurredAt)
        if let after, occurredAt < after { return false }
        if let before, occurredAt >= before { return false }
        return true
    }

    /// `AppendEvents`: hands the request's events to the store's writer and calls `completion`
    /// (on the writer's queue) once they are durable, without a task, so that a transport can
    /// answer from the callback. The request's size in bytes is the transport's to limit.
    package func appendEvents(
        _ request: C360_V1_AppendEventsRequest, completion: @escaping @Sendable (Result<C360_V1_AppendEventsResponse, any Error>) -> Void
    ) {
        appendEvents(request.events, encoded: nil, completion: completion)
    }

    /// `appendEvents(_:completion:)` for events with the bytes each was sent as, which the store
    /// keeps rather than encoding the event again.
    package func appendEvents(
        _ request: EventWireDecoder.EventsWithBytes, completion: @escaping @Sendable (Result<C360_V1_AppendEventsResponse, any Error>) -> Void
    ) {
        appendEvents(request.events, encoded: request.encoded, completion: completion)
    }

    package func appendEvents(_ request: EventWireDecoder.EventsWithBytes) async throws -> C360_V1_AppendEventsResponse {
        try await withCheckedThrowingContinuation { continuation in
            appendEvents(request) { continuation.resume(with: $0) }
        }
    }

    private func appendEvents(
        _ events: [C360_V1_Event], encoded: [[UInt8]]?, completion: @escaping @Sendable (Result<C360_V1_AppendEventsResponse, any Error>) -> Void
    ) {
        do throws(C360Error) {
            try checkAppendSize(events.count)
        } catch {
            return completion(.failure(error))
        }
        if events.isEmpty { return completion(.success(C360_V1_AppendEventsResponse())) }
        store.append(events, encoded: encoded) { outcomes in
            completion(Result {
                var response = C360_V1_AppendEventsResponse()
                try Self.record(outcomes, startingAt: 0, into: &response)
                return response
            })
        }
    }

    package func appendEvents(_ request: C360_V1_AppendEventsRequest) async throws -> C360_V1_AppendEventsResponse {
        try await withCheckedThrowingContinuation { continuation in
            appendEvents(request) { continuation.resume(with: $0) }
        }
    }

    package func appendEventStream(_ request: some AsyncSequence<C360_V1_AppendEventsRequest, any Error>) async throws -> C360_V1_AppendEventsResponse {
        var response = C360_V1_AppendEventsResponse()
        var index = 0
        for try await message in request {
            try checkAppendSize(message.events.count)
            guard index + message.events.count <= limits.maxEventsPerStream else {
                throw C360Error(.resourceExhausted, "at most \(limits.maxEventsPerStream) events per stream", field: "events")
            }
            try await append(message.events, startingAt: index, into: &response)
            index += message.events.count
        }
        return response
    }

    package func checkAppendSize(_ count: Int) throws(C360Error) {
        guard count <= limits.maxEventsPerAppend else {
            throw C360Error(.resourceExhausted, "at most \(limits.maxEventsPerAppend) events per request, got \(count)", field: "events")
        }
    }

    private func append(_ events: [C360_V1_Event], startingAt start: Int, into response: inout C360_V1_AppendEventsResponse) async throws {
        if events.isEmpty { return }
        try Self.record(await store.append(events), startingAt: start, into: &response)
    }

    /// The per-event results of an append, numbered from `start`, and the highest seq among them.
    ///
    /// - Throws: the store's failure (`RESOURCE_EXHAUSTED` for a full disk, `UNAVAILABLE` for an
    ///   I/O failure) when it could not commit: then no event of the request was appended by this
    ///   call, and the whole request may be sent again (appends are idempotent).
    static func record(_ outcomes: [AppendOutcome], startingAt start: Int, into response: inout C360_V1_AppendEventsResponse) throws(C360Error) {
        if let failure = outcomes.lazy.compactMap(\.storeFailure).first {
            throw C360Error(failure.code, "nothing was appended, send the request again later: \(failure.message)", cause: failure)
        }
        for (offset, outcome) in outcomes.enumerated() {
            var result = C360_V1_AppendResult()
            result.index = UInt32(start + offset)
            switch outcome {
            case .appended(let seq):
                result.seq = seq
                response.lastSeq = max(response.lastSeq, seq)
            case .duplicate(let seq):
                result.duplicateOfSeq = seq
                response.lastSeq = max(response.lastSeq, seq)
            case .rejected(let error):
                var appendError = C360_V1_AppendError()
                appendError.field = error.field ?? ""
                appendError.reason = error.message
                appendError.code = error.statusName
                result.error = appendError
            }
            response.results.append(result)
        }
    }

    /// `EraseCustomer` for any transport; `peer` is the client's address, for the audit log.
    package func eraseCustomer(_ request: C360_V1_EraseCustomerRequest, peer: String) async throws -> C360_V1_EraseReceipt {
        let receipt = try await store.erase(
            customerID: request.customerID, requestID: request.requestID,
            actor: Caller.current?.name ?? Caller.unrestricted.name, peer: peer)
        logger.notice("customer erased", metadata: [
            "c360.request_id": "\(request.requestID)", "c360.tombstone_seq": "\(receipt.tombstone.seq)",
            "c360.events_removed": "\(receipt.eventsRemoved)",
        ])
        return receipt
    }

    /// `WatchProfiles` for any transport: writes each change with `write` until the task is cancelled.
    package func watchProfiles(
        _ request: C360_V1_WatchProfilesRequest, write: @escaping @Sendable (C360_V1_ProfileChange) async throws -> Void
    ) async throws {
        guard request.customerIds.count <= limits.maxWatchedCustomers else {
            throw C360Error(.resourceExhausted, "at most \(limits.maxWatchedCustomers) customer ids per watch", field: "customer_ids")
        }
        if request.customerIds.contains("") { throw C360Error.invalid("customer_ids", "an id is empty") }
        let watched = Set(request.customerIds)
        let watchedHashes = Dictionary(request.customerIds.map { (store.customerHash($0), $0) }, uniquingKeysWith: { first, _ in first })
        let personalData = access.seesPersonalData(Caller.current)
        ServiceMetrics.profileWatchers.increment()
        defer { ServiceMetrics.profileWatchers.decrement() }
        // Subscribe before reading history, so nothing committed in between is missed.
        let live = store.changes.subscribe()
        let caughtUpTo = store.changes.lastSeq
        var delivered = request.afterSeq
        if request.afterSeq > 0 {
            for change in try store.changes(after: request.afterSeq, through: caughtUpTo) {
                try await deliver(change, watched: watched, watchedHashes: watchedHashes, personalData: personalData, to: write)
            }
            delivered = max(delivered, caughtUpTo)
        } else {
            delivered = caughtUpTo
        }
        let caughtUp = delivered
        do {
            for try await changes in live {
                for change in changes where change.seq > caughtUp {
                    try await self.deliver(change, watched: watched, watchedHashes: watchedHashes, personalData: personalData, to: write)
                }
            }
        } catch is ChangeFeed.SubscriberTooSlow {
            throw RPCError(code: .resourceExhausted, message: "the watch fell too far behind; reconnect with after_seq set to the last seq received")
        }
    }

    private func deliver(
        _ change: StoreChange, watched: Set<String>, watchedHashes: [String: String], personalData: Bool,
        to write: @Sendable (C360_V1_ProfileChange) async throws -> Void
    ) async throws {
        var customerID = change.customerID
        if customerID.isEmpty, change.erased, let id = watchedHashes[change.tombstoneHash] { customerID = id }
        // Anonymous visitors have no customer id to watch; erasures read back from the log name
        // only those customers the watch asked for by id.
        guard !customerID.isEmpty, watched.isEmpty || watched.contains(customerID) else { return }
        var message = C360_V1_ProfileChange()
        message.seq = change.seq
        message.customerID = customerID
        if change.erased {
            message.erased = true
        } else {
            var profile: Profile
            do throws(C360Error) {
                profile = try store.profile(customerID: customerID)
            } catch {
                // Erased since: its erasure is delivered in turn.
                if error.code == .erased || error.code == .notFound { return }
                throw error
            }
            if !personalData { PersonalDataRedaction.redact(&profile) }
            message.profile = C360_V1_Profile(profile)
        }
        try await write(message)
    }

    /// Waits until the store has reached `minSeq`, within the call's deadline (which cancels the
    /// wait) or `maxMinSeqWaitSeconds`.
    private func waitFor(minSeq: UInt64) async throws {
        guard minSeq > store.changes.lastSeq else { return }
        let limit = limits.maxMinSeqWaitSeconds
        await withTaskGroup(of: Void.self) { group in
            let changes = store.changes
            group.addTask { await changes.wait(untilSeq: minSeq) }
            group.addTask { try? await Task.sleep(for: .seconds(limit)) }
            await group.next()
            group.cancelAll()
        }
        guard store.changes.lastSeq >= minSeq else {
            throw RPCError(code: .deadlineExceeded, message: "the store has not reached min_seq \(minSeq) (it is at \(store.changes.lastSeq))")
        }
    }
}
