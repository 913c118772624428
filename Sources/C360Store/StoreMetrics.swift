import C360Core
import CoreMetrics
import Foundation

/// What the store counts and times, through swift-metrics: `c360 serve` exports it in Prometheus'
/// format; with no metrics backend bootstrapped, each record is a call that does nothing.
///
/// Static, so created on first use: after `serve` bootstrapped the backend (a metric made before
/// that would stay bound to the no-op backend).
enum StoreMetrics {
    static let appended = Counter(label: "c360_events_appended_total")
    static let duplicates = Counter(label: "c360_events_duplicate_total")
    /// Events in each group commit: how much one fsync carried.
    static let commitEvents = Recorder(label: "c360_commit_batch_events", aggregate: true)
    /// From an append reaching the store to its events being durable (or refused).
    static let appendDuration = Timer(label: "c360_append_duration_seconds")
    static let erasures = Counter(label: "c360_erasures_total")
    /// Events folded by the replay running now (0 when none is).
    static let replayEvents = Meter(label: "c360_replay_events_folded")

    /// Creates every metric, so that each is exported (at zero) from the start rather than from its
    /// first event: a dashboard or an alert then sees 0, not "no data".
    static func prepare() {
        _ = (appended, duplicates, commitEvents, appendDuration, erasures)
        replayEvents.set(0)
        for code in [C360Error.Code.invalidArgument, .erased, .resourceExhausted, .unavailable, .io] {
            rejected(code).increment(by: 0)
        }
    }

    /// Counts one group commit's outcomes.
    static func record(_ outcomes: [[AppendOutcome]]) {
        var appendedCount = 0
        var duplicateCount = 0
        var events = 0
        for group in outcomes {
            for outcome in group {
                events += 1
                switch outcome {
                case .appended: appendedCount += 1
                case .duplicate: duplicateCount += 1
                case .rejected(let error): rejected(error.code).increment()
                }
            }
        }
        if appendedCount > 0 { appended.increment(by: appendedCount) }
        if duplicateCount > 0 { duplicates.increment(by: duplicateCount) }
        commitEvents.record(events)
    }

    /// Counts the events of an append refused before it reached a commit (the writer's queue full).
    static func recordRefused(_ outcomes: [AppendOutcome]) {
        for case .rejected(let error) in outcomes { rejected(error.code).increment() }
    }

    /// Rejected events by reason: `invalid_argument`, `erased`, `resource_exhausted`, …
    static func rejected(_ code: C360Error.Code) -> Counter {
        Counter(label: "c360_events_rejected_total", dimensions: [("reason", code.description.replacingOccurrences(of: "/", with: "").replacingOccurrences(of: " ", with: "_").lowercased())])
    }

    static func recordAppend(since start: UInt64) {
        appendDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- start))
    }
}
