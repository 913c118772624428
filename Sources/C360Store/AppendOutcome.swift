public import C360Core

/// What became of one event handed to `EventStore.append(_:)`.
public enum AppendOutcome: Sendable {
    /// Appended at this log position.
    case appended(seq: UInt64)
    /// An event with the same `event_id` was appended before, at this log position; nothing was stored.
    case duplicate(seq: UInt64)
    /// Not appended, for this reason. The other events of the batch are unaffected.
    case rejected(C360Error)

    /// Why the store could not commit the event, when that was the store's doing and not the
    /// event's: a full disk, an I/O failure, a store closing. The event was not stored and may be
    /// sent again as it is.
    public var storeFailure: C360Error? {
        guard case .rejected(let error) = self, error.code != .invalidArgument, error.code != .erased else { return nil }
        return error
    }

    /// Outcomes of a commit that was not written, for `failure`: its appended events rejected, its
    /// duplicates and rejections as they were.
    static func notWritten(_ outcomes: [[AppendOutcome]], failure: C360Error) -> [[AppendOutcome]] {
        outcomes.map { group in
            group.map { outcome in
                if case .appended = outcome { return .rejected(failure) }
                return outcome
            }
        }
    }

    /// The log position the event has, whether appended now or before.
    public var seq: UInt64? {
        switch self {
        case .appended(let seq), .duplicate(let seq): seq
        case .rejected: nil
        }
    }
}
