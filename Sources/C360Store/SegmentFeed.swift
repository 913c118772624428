import Foundation
import Synchronization

/// A customer entering or leaving a segment.
public struct SegmentChange: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case enter, leave }

    /// Strictly increasing within one run of the store; with the feed's epoch, the resume point.
    public var position: UInt64
    public var segment: String
    public var customerID: String
    public var kind: Kind
    /// The log position the store had reached when the change happened.
    public var seq: UInt64
}

/// Tells subscribers about segment membership changes as they are committed, and keeps the most
/// recent ones in memory so that a watcher can resume after a dropped connection. The history is
/// not kept across restarts: a resume from another run (another epoch) or from further back than
/// the history reaches starts over from the current members.
public final class SegmentFeed: Sendable {
    /// Recent changes kept for resuming.
    public static let historyKept = 100_000
    public static let subscriberBacklog = 100_000

    /// Identifies this run of the store in resume tokens.
    public let epoch: UInt64

    private struct State: ~Copyable {
        var nextPosition: UInt64 = 1
        var history: [SegmentChange] = []
        var nextID = 0
        var subscribers: [Int: (segment: String, continuation: AsyncThrowingStream<SegmentChange, any Error>.Continuation)] = [:]
    }

    private let state = Mutex(State())

    init() {
        epoch = UInt64(Date().timeIntervalSince1970 * 1_000_000)
    }

    func publish(_ changes: [(segment: String, customerID: String, kind: SegmentChange.Kind)], seq: UInt64) {
        guard !changes.isEmpty else { return }
        state.withLock { state in
            for change in changes {
                let entry = SegmentChange(position: state.nextPosition, segment: change.segment, customerID: change.customerID, kind: change.kind, seq: seq)
                state.nextPosition += 1
                state.history.append(entry)
                for (id, subscriber) in state.subscribers where subscriber.segment == entry.segment {
                    if case .dropped = subscriber.continuation.yield(entry) {
                        subscriber.continuation.finish(throwing: ChangeFeed.SubscriberTooSlow())
                        state.subscribers[id] = nil
                    }
                }
            }
            if state.history.count > Self.historyKept + Self.historyKept / 4 {
                state.history.removeFirst(state.history.count - Self.historyKept)
            }
        }
    }

    /// Forgets an erased customer's earlier changes (its leave events stay until they age out).
    func forget(customerID: String) {
        state.withLock { state in
            state.history.removeAll { $0.customerID == customerID && $0.kind == .enter }
        }
    }

    /// Changes of `segment` from now on, and the ones after `position` of `epoch` when this run
    /// still has them all (`backlog`); `backlog` is `nil` when it cannot resume from there.
    public func subscribe(segment: String, resumingAfter resume: (epoch: UInt64, position: UInt64)?) -> (backlog: [SegmentChange]?, stream: AsyncThrowingStream<SegmentChange, any Error>) {
        let (stream, continuation) = AsyncThrowingStream<SegmentChange, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.subscriberBacklog))
        let (id, backlog) = state.withLock { state -> (Int, [SegmentChange]?) in
            state.nextID += 1
            state.subscribers[state.nextID] = (segment, continuation)
            guard let resume, resume.epoch == epoch else { return (state.nextID, nil) }
            let oldest = state.history.first?.position ?? state.nextPosition
            guard resume.position + 1 >= oldest, resume.position < state.nextPosition else { return (state.nextID, nil) }
            return (state.nextID, state.history.filter { $0.position > resume.position && $0.segment == segment })
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return (backlog, stream)
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func finishAll() {
        let subscribers = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.continuation)
        }
        subscribers.forEach { $0.finish() }
    }
}
