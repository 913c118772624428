import Synchronization

/// One committed change to a customer's projection.
public struct StoreChange: Sendable, Hashable {
    /// The log position of the change (the last event folded, or the tombstone).
    public var seq: UInt64
    /// The customer whose projection changed; empty for an anonymous visitor.
    public var customerID: String
    /// The customer was erased at `seq`.
    public var erased: Bool
    /// For an erasure read back from the log, where the customer id is no longer known: the
    /// tombstone's keyed hash of it (see `EventStore.customerHash(_:)`).
    public var tombstoneHash = ""
}

/// Tells subscribers about every commit as it happens, and lets a reader wait until the store has
/// reached a log position (read-your-writes across connections).
public final class ChangeFeed: Sendable {
    /// Changes a subscriber may have waiting before it is cut off (it can resume from its last seq).
    public static let subscriberBacklog = 10_000

    private struct State: ~Copyable {
        var lastSeq: UInt64
        var nextID = 0
        var subscribers: [Int: AsyncThrowingStream<[StoreChange], any Error>.Continuation] = [:]
        var waiters: [Int: (seq: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
    }

    /// A subscriber fell too far behind and was cut off.
    public struct SubscriberTooSlow: Error, Sendable {}

    private let state: Mutex<State>

    init(lastSeq: UInt64) {
        self.state = Mutex(State(lastSeq: lastSeq))
    }

    /// The last log position published.
    public var lastSeq: UInt64 { state.withLock { $0.lastSeq } }

    /// How many subscriptions are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func publish(_ changes: [StoreChange], lastSeq: UInt64) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.lastSeq = max(state.lastSeq, lastSeq)
            if !changes.isEmpty {
                for (id, subscriber) in state.subscribers {
                    if case .dropped = subscriber.yield(changes) {
                        subscriber.finish(throwing: SubscriberTooSlow())
                        state.subscribers[id] = nil
                    }
                }
            }
            let due = state.waiters.filter { $0.value.seq <= state.lastSeq }
            for id in due.keys { state.waiters[id] = nil }
            return due.values.map(\.continuation)
        }
        ready.forEach { $0.resume() }
    }

    /// Every change from now on, in commit order, a commit's changes together.
    /// The stream ends with `SubscriberTooSlow` if its reader falls `subscriberBacklog` commits behind.
    public func subscribe() -> AsyncThrowingStream<[StoreChange], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[StoreChange], any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.subscriberBacklog))
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Returns once the store has reached log position `seq`, or when the task is cancelled
    /// (a deadline); check `lastSeq` to tell which.
    public func wait(untilSeq seq: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.lastSeq >= seq || Task.isCancelled { return true }
                    state.waiters[id] = (seq, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    /// Ends every subscription (the server is shutting down); their readers see the stream end.
    public func finishAll() {
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }
}
