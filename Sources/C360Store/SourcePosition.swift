public import C360Core
public import C360Model

/// How far a source (a database's change stream) has been read into c360: the position in the
/// source's own log after the last change whose events are committed. Stored in the same commit
/// as those events, so that after a crash of either side the source resumes exactly after what
/// c360 holds: no change applied twice, none lost.
public struct SourcePosition: Sendable, Equatable {
    /// The source's name in the configuration.
    public var source: String
    /// The position, as the source writes it (a PostgreSQL LSN: 8 bytes, big-endian).
    public var value: [UInt8]

    public init(source: String, value: [UInt8]) {
        self.source = source
        self.value = value
    }
}

extension EventStore {
    /// Appends `events` and stores `position` in the same synced commit: the position moves if
    /// and only if every event was committed (appended, a duplicate, or refused for what it is —
    /// an erased customer's, say — which sending it again would not change).
    /// - Returns: each event's outcome.
    /// - Throws: `C360Error` when the commit could not be written (a full disk, an I/O failure):
    ///   nothing was appended and the position did not move, so the same changes can be sent again.
    public func append(_ events: [C360_V1_Event], position: SourcePosition) async throws(C360Error) -> [AppendOutcome] {
        let result: Result<[AppendOutcome], C360Error> = await withCheckedContinuation { continuation in
            append(events, position: position) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// `append(_:position:)` for a caller on a thread of its own (a source reading a database's
    /// stream), the position optional (a snapshot's rows have none): `completion` runs on the
    /// writer's queue, with a failure when the commit was not written (at once, on the calling
    /// thread, with `RESOURCE_EXHAUSTED` when the writer's queue is full).
    public func append(_ events: [C360_V1_Event], position: SourcePosition?, completion: @escaping @Sendable (Result<[AppendOutcome], C360Error>) -> Void) {
        append(prepared: prepare(events), position: position, completion: completion)
    }

    /// `append(_:position:completion:)` of a batch prepared beforehand (`prepare(_:)`), so that a
    /// source can prepare its next batch while the one before is committed.
    public func append(prepared batch: PreparedBatch, position: SourcePosition?, completion: @escaping @Sendable (Result<[AppendOutcome], C360Error>) -> Void) {
        writer.append(batch.events, position: position, into: self) { outcomes, written in
            guard written else {
                return completion(.failure(outcomes.lazy.compactMap(\.storeFailure).first
                    ?? C360Error(.unavailable, "the commit\(position.map { " of the source \($0.source)'s changes" } ?? "") was not written; nothing was stored")))
            }
            completion(.success(outcomes))
        }
    }

    /// The position last stored for `source`, `nil` before its first commit.
    public func sourcePosition(_ source: String) throws(C360Error) -> [UInt8]? {
        try read(StoreKeys.Meta.sourcePosition(source), in: families.meta)
    }
}
