import C360Core
public import C360Model
import Foundation

/// Something events can be appended to: a local `EventStore`, or a running server.
///
/// An append is two steps, so that a loader can do the first for its next batch while the one
/// before is still being committed: `prepare` (work that depends only on the events) and
/// `append(prepared:)`.
public protocol EventAppender: Sendable {
    /// What `prepare` makes of a batch.
    associatedtype Prepared: Sendable = [C360_V1_Event]

    /// Appends `events` and returns one outcome per event, in order, once they are durable.
    func append(_ events: [C360_V1_Event]) async -> [AppendOutcome]

    /// Does, on the calling thread, what appending `events` needs before the log is involved.
    func prepare(_ events: [C360_V1_Event]) -> Prepared

    /// Appends a prepared batch: as `append(_:)`.
    func append(prepared: Prepared) async -> [AppendOutcome]
}

extension EventAppender where Prepared == [C360_V1_Event] {
    public func prepare(_ events: [C360_V1_Event]) -> [C360_V1_Event] { events }

    public func append(prepared events: [C360_V1_Event]) async -> [AppendOutcome] { await append(events) }
}

extension EventStore: EventAppender {
    /// A batch validated, encoded and hashed (`prepare(_:)`), ready for the writer.
    public struct PreparedBatch: Sendable {
        let events: [Result<PreparedEvent, C360Error>]
    }

    /// Validates, encodes and hashes `events` on the calling thread (what `append(_:)` does before
    /// handing them to the writer).
    public func prepare(_ events: [C360_V1_Event]) -> PreparedBatch {
        PreparedBatch(events: prepare(events, encoded: nil))
    }

    public func append(prepared batch: PreparedBatch) async -> [AppendOutcome] {
        let start = DispatchTime.now().uptimeNanoseconds
        let outcomes = await writer.append(batch.events, into: self)
        StoreMetrics.recordAppend(since: start)
        return outcomes
    }
}
