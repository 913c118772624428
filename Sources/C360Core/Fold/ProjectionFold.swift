public import C360Model

/// Folds events, one at a time and in log order, into a customer's projection.
///
/// The fold is pure and deterministic: the same events in the same order, with the same identity
/// resolutions, always give the same projection, byte for byte once serialized, which is what lets
/// replay prove itself against the live projections. The state of an order or a ticket does not
/// depend on that order at all: it is decided by when things happened (`occurred_at`), the log
/// position breaking ties only, because sources deliver late and out of order. Each payload kind is folded in its own file
/// (`ProjectionFold+Orders.swift`, ...); identities in `ProjectionFold+Identities.swift`.
///
/// ```swift
/// var projection = ProjectionFold.emptyProjection(customerID: "cust_1")
/// ProjectionFold().apply(event, seq: 42, resolution: nil, to: &projection)
/// ```
public struct ProjectionFold: Sendable {
    /// Bumped whenever the fold's output for the same events changes; stored projections of an
    /// older version are rebuilt from the log rather than served.
    public static let version: UInt32 = 3

    /// Distinct recent web errors (page and message) kept, newest first.
    public var recentErrorsKept = 10
    /// Days of per-day activity kept, counted back from the newest day seen. Windowed figures can
    /// look back at most this far.
    public var dayBucketsKept = 90
    /// Refused identity links kept, newest last.
    public var identityConflictsKept = 20

    public init() {}

    /// The fold `fingerprint` names, `nil` when it names another version (whose fold this c360
    /// does not have) or is not a fingerprint.
    public init?(fingerprint: String) {
        var fold = ProjectionFold()
        guard fold.fingerprint.split(separator: " ").first == fingerprint.split(separator: " ").first else { return nil }
        for setting in fingerprint.split(separator: " ").dropFirst() {
            let parts = setting.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]), value >= 0 else { return nil }
            switch parts[0] {
            case "errors": fold.recentErrorsKept = value
            case "days": fold.dayBucketsKept = value
            case "conflicts": fold.identityConflictsKept = value
            default: return nil
            }
        }
        guard fold.fingerprint == fingerprint else { return nil }
        self = fold
    }

    /// Names the fold's output: its version and every setting that changes a projection. Stored
    /// projections built by another fingerprint are rebuilt from the log (`projection_fold`).
    public var fingerprint: String {
        "v\(Self.version) errors=\(recentErrorsKept) days=\(dayBucketsKept) conflicts=\(identityConflictsKept)"
    }

    /// A projection with no events folded in.
    public static func emptyProjection(customerID: String) -> Projection {
        var projection = Projection()
        projection.version = version
        projection.customerID = customerID
        return projection
    }

    /// Folds `event`, appended at log position `seq`, into `projection`. `resolution` is what
    /// identity resolution decided for the event when it was appended (`nil`: nothing changed).
    public func apply(_ event: C360_V1_Event, seq: UInt64, resolution: C360_Store_V1_Resolution?, to projection: inout Projection) {
        apply(FoldableEvent(event), seq: seq, resolution: resolution, to: &projection)
    }

    /// Folds what the fold reads of an event (`FoldableEvent`), as `apply(_:seq:resolution:to:)` does.
    public func apply(_ event: FoldableEvent, seq: UInt64, resolution: C360_Store_V1_Resolution?, to projection: inout Projection) {
        Self.applyHeader(of: event, seq: seq, to: &projection)
        let occurredAt = event.occurredAt
        if let resolution {
            applyResolution(resolution, ofEvent: event.eventID, seq: seq, at: occurredAt, to: &projection)
        }
        switch event.payload {
        case .customerUpserted(let customer):
            applyCustomer(customer, to: &projection)
        case .orderPlaced(let order):
            applyOrder(order, at: occurredAt, seq: seq, to: &projection)
        case .orderStatusChanged(let change):
            applyStatusChange(change, at: occurredAt, seq: seq, to: &projection.orders)
        case .webEvent(let web):
            applyWeb(web, at: occurredAt, to: &projection)
        case .emailEvent(let type):
            applyEmail(type, at: occurredAt, to: &projection.email)
        case .ticketEvent(let ticket):
            applyTicket(ticket, at: occurredAt, seq: seq, to: &projection.support)
        case .identityChange, nil:
            // What a link changes is in the resolution.
            break
        }
    }

    /// What every event changes in a projection's header (version, seq, customer id, event count).
    public static func applyHeader(of event: FoldableEvent, seq: UInt64, to projection: inout Projection) {
        projection.version = ProjectionFold.version
        projection.seq = seq
        projection.eventCount += 1
        if projection.customerID.isEmpty, !event.customerID.isEmpty {
            projection.customerID = event.customerID
        }
    }

    /// The parts of a projection that folding an event with `event`'s payload reads or changes,
    /// besides the header (version, seq, customer id, event count), which is always decoded: the
    /// others can stay in their stored bytes (`Projection.retained`). What an identity resolution
    /// folded with it changes is `resolutionParts`.
    public static func parts(changedBy event: C360_V1_Event) -> Projection.Parts {
        switch event.payload {
        case .customerUpserted: [.details]
        case .orderPlaced: [.orders, .days]
        case .orderStatusChanged: [.orders]
        case .webEvent: [.web, .days]
        case .emailEvent: [.email]
        case .ticketEvent: [.support]
        case .identityLinked, .identityUnlinked, nil: []
        }
    }

    /// The parts folding an identity resolution reads or changes.
    public static let resolutionParts: Projection.Parts = [.identities, .identityConflicts]

    /// Applies `change` to the bucket of `instant`'s day, creating it if needed. A day older than
    /// the buckets kept is not recorded: no window can reach it.
    func updateDay(of instant: Instant, in days: inout [Projection.DayBucket], _ change: (inout Projection.DayBucket) -> Void) {
        let day = Self.day(of: instant)
        switch placement(ofDay: day, lastDay: days.last?.day) {
        case .last:
            change(&days[days.count - 1])
        case .dropped:
            return
        case .appended:
            var bucket = Projection.DayBucket()
            bucket.day = day
            change(&bucket)
            days.append(bucket)
            let oldestKept = oldestDayKept(newest: day)
            if days[0].day < oldestKept {
                days.removeAll { $0.day < oldestKept }
            }
        case .elsewhere:
            let oldestKept = oldestDayKept(newest: max(days[days.count - 1].day, day))
            let position = days.firstIndex { $0.day >= day } ?? days.endIndex
            if position == days.endIndex || days[position].day != day {
                var bucket = Projection.DayBucket()
                bucket.day = day
                days.insert(bucket, at: position)
            }
            change(&days[position])
            if let first = days.first, first.day < oldestKept {
                days.removeAll { $0.day < oldestKept }
            }
        }
    }

    /// The day bucket an event at `instant` counts in.
    public static func day(of instant: Instant) -> Int32 { Int32(clamping: instant.dayNumber) }

    /// Where an event's day goes among the buckets kept, sorted by day up to `lastDay` (`nil` when
    /// there are none).
    public enum DayPlacement: Sendable, Equatable {
        /// Into the last bucket: events mostly arrive in time order.
        case last
        /// Into a new bucket after the last; the buckets older than `oldestDayKept(newest:)` of
        /// its day are dropped.
        case appended
        /// Nowhere: older than the buckets kept, no window can reach it.
        case dropped
        /// Into a bucket before the last, found or inserted.
        case elsewhere
    }

    public func placement(ofDay day: Int32, lastDay: Int32?) -> DayPlacement {
        guard let lastDay else { return day >= oldestDayKept(newest: day) ? .appended : .dropped }
        if lastDay == day { return .last }
        guard day >= oldestDayKept(newest: max(lastDay, day)) else { return .dropped }
        return day > lastDay ? .appended : .elsewhere
    }

    /// The oldest day a bucket is kept for, when `newest` is the newest day seen.
    public func oldestDayKept(newest: Int32) -> Int32 { newest - Int32(dayBucketsKept) + 1 }

    /// Where `key` is or belongs in `elements`, kept sorted by `keyOf`, and whether it is there:
    /// the orders and tickets a projection keeps are found by binary search.
    static func sortedPosition<Element>(of key: String, in elements: [Element], by keyOf: (Element) -> String) -> (index: Int, found: Bool) {
        var low = 0, high = elements.count
        while low < high {
            let middle = (low + high) / 2
            if keyOf(elements[middle]) < key { low = middle + 1 } else { high = middle }
        }
        return (low, low < elements.count && keyOf(elements[low]) == key)
    }
}
