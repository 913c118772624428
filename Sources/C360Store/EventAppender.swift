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

    /// How many batches a loader may hand to `submit(prepared:)` before the first of them is
    /// durable: more than one only when `submit` keeps the order of its calls in the log.
    var batchesInFlight: Int { get }

    /// Starts appending a prepared batch; the task ends with its outcomes once it is durable.
    /// Batches submitted one after another reach the log in that order when `batchesInFlight` is
    /// more than one.
    func submit(prepared: Prepared) -> Task<[AppendOutcome], Never>
}

extension EventAppender {
    /// One: a batch is submitted once the one before is durable, which keeps their order.
    public var batchesInFlight: Int { 1 }

    public func submit(prepared: Prepared) -> Task<[AppendOutcome], Never> {
        Task { await append(prepared: prepared) }
    }
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
        await submit(prepared: batch).value
    }

    /// Four: the writer takes appends in the order they are handed to it, so a loader keeps the
    /// next batches waiting behind the one being committed — the writer then commits them
    /// together and stages one while writing another — instead of handing over each once the one
    /// before is durable, which left the writer one batch at a time.
    public var batchesInFlight: Int { 4 }

    /// Hands the batch to the writer before returning, so that the order of calls is the order of
    /// the log.
    public func submit(prepared batch: PreparedBatch) -> Task<[AppendOutcome], Never> {
        let start = DispatchTime.now().uptimeNanoseconds
        let (outcomes, delivered) = AsyncStream.makeStream(of: [AppendOutcome].self, bufferingPolicy: .unbounded)
        writer.append(batch.events, into: self) { result in
            // Here, as `append(_:encoded:completion:)` does: once durable, not once a task reads it.
            StoreMetrics.recordAppend(since: start)
            delivered.yield(result)
            delivered.finish()
        }
        return Task {
            for await result in outcomes { return result }
            return []
        }
    }
}
