public import C360Core
import C360Model
import RocksDB
import Synchronization

/// One membership change decided by the writer.
struct MembershipChange {
    var segment: String
    var subject: UInt64
    var customerID: String
    var kind: SegmentChange.Kind
}

/// What a re-evaluation of every customer's segments found.
public struct SegmentRefresh: Sendable {
    /// The UTC day membership is now evaluated as of.
    public var day: Int64
    public var customersEvaluated: UInt64 = 0
    public var entered: UInt64 = 0
    public var left: UInt64 = 0
    /// Members per configured segment afterwards.
    public var members: [String: UInt64] = [:]
}

extension EventStore {
    /// The instant segment membership is evaluated as of: the end of `day`. Evaluating at a
    /// day's end, not at the wall clock, makes membership the same for an append, the daily
    /// re-evaluation and a replay on that day.
    static func segmentInstant(day: Int64) -> Instant {
        Instant(microsecondsSinceEpoch: (day + 1) * 86_400_000_000 - 1)
    }

    func memberships(of projection: Projection?, evaluator: ProfileEvaluator, at instant: Instant) -> Set<String> {
        guard let projection, !projection.customerID.isEmpty, !configuration.segments.isEmpty else { return [] }
        let profile = evaluator.profile(of: projection, asOf: instant)
        return Set(configuration.segments.filter { $0.contains(profile) }.map(\.name))
    }

    /// The membership changes between the projections before and after a commit, and every
    /// customer's membership after it (for the writer's cache, once the commit is written).
    /// `earlier`: the memberships after the commit being written meanwhile, not cached yet.
    /// Runs on the writer's queue.
    func segmentChanges(before: [UInt64: Projection?], after: [UInt64: Projection], day: Int64, earlier: [UInt64: Set<String>] = [:])
        -> (changes: [MembershipChange], memberships: [UInt64: Set<String>]) {
        guard !configuration.segments.isEmpty else { return ([], [:]) }
        let evaluator = ProfileEvaluator(settings: configuration.profile)
        let instant = Self.segmentInstant(day: day)
        var changes: [MembershipChange] = []
        var memberships: [UInt64: Set<String>] = [:]
        for (subject, projection) in after.sorted(by: { $0.key < $1.key }) where !projection.customerID.isEmpty {
            // What the last commit computed for this customer, when it was for the same day,
            // spares evaluating the old projection again.
            let cached = earlier[subject] ?? writer.cachedMemberships(of: subject, day: day)
            let old = cached ?? self.memberships(of: before[subject] ?? nil, evaluator: evaluator, at: instant)
            let new = self.memberships(of: projection, evaluator: evaluator, at: instant)
            memberships[subject] = new
            for segment in new.subtracting(old).sorted() {
                changes.append(MembershipChange(segment: segment, subject: subject, customerID: projection.customerID, kind: .enter))
            }
            for segment in old.subtracting(new).sorted() {
                changes.append(MembershipChange(segment: segment, subject: subject, customerID: projection.customerID, kind: .leave))
            }
        }
        return (changes, memberships)
    }

    /// Re-evaluates every customer's segments as of the end of `day` (default today), writes the
    /// differences, publishes them and drops the membership of segments no longer configured.
    /// A server runs it at start and when the UTC day changes, so windowed conditions follow time.
    public func refreshSegments(day: Int64 = Instant.now.dayNumber) async throws(C360Error) -> SegmentRefresh {
        try await exclusively { () throws(C360Error) -> SegmentRefresh in
            try self.refreshSegmentsOnWriter(day: day)
        }
    }

    /// Runs on the writer's queue (or during a replay, which holds it).
    func refreshSegmentsOnWriter(day: Int64) throws(C360Error) -> SegmentRefresh {
        var refresh = SegmentRefresh(day: day)
        try projections.writeAll()
        do {
            let evaluator = ProfileEvaluator(settings: configuration.profile)
            let instant = Self.segmentInstant(day: day)
            let configured = Set(configuration.segments.map(\.name))
            var stored: Set<[UInt8]> = []
            let batch = WriteBatch(for: database)
            try database.forEachEntry(in: families.segments) { key, _ in
                if let separator = key.firstIndex(of: 0), configured.contains(String(decoding: key[..<separator], as: UTF8.self)) {
                    stored.insert(key)
                } else {
                    batch.delete(key, in: families.segments)
                }
            }

            var changes: [(segment: String, customerID: String, kind: SegmentChange.Kind)] = []
            // Without segments there is nothing to evaluate, only stale membership to drop.
            if !configuration.segments.isEmpty {
                try forEachStoredProjection { key, value in
                    if let subject = StoreKeys.uint64(key), !StoreKeys.isAnonymous(subject) {
                        let projection = try decodeProjection(value)
                        refresh.customersEvaluated += 1
                        let members = memberships(of: projection, evaluator: evaluator, at: instant)
                        for segment in configuration.segments.map(\.name) {
                            let key = StoreKeys.segmentMember(segment, subject: subject)
                            let was = stored.remove(key) != nil
                            let isMember = members.contains(segment)
                            if isMember { refresh.members[segment, default: 0] += 1 }
                            if isMember, !was {
                                batch.put(key, Array(projection.customerID.utf8), in: families.segments)
                                changes.append((segment, projection.customerID, .enter))
                                refresh.entered += 1
                            } else if !isMember, was {
                                batch.delete(key, in: families.segments)
                                changes.append((segment, projection.customerID, .leave))
                                refresh.left += 1
                            }
                        }
                    }
                }
            }
            // Members whose projection no longer exists.
            for key in stored {
                let customerID = try database.get(key, in: families.segments).map { String(decoding: $0, as: UTF8.self) } ?? ""
                batch.delete(key, in: families.segments)
                if let separator = key.firstIndex(of: 0) {
                    changes.append((String(decoding: key[..<separator], as: UTF8.self), customerID, .leave))
                    refresh.left += 1
                }
            }
            for segment in configuration.segments where refresh.members[segment.name] == nil { refresh.members[segment.name] = 0 }
            batch.put(StoreKeys.Meta.segmentDay, StoreKeys.bigEndian(UInt64(bitPattern: day)), in: families.meta)
            try database.write(batch, sync: true)
            writer.movedSegmentDay(to: day)
            segmentChanges.publish(changes, seq: writer.state.lastSeq)
        } catch {
            throw C360Error(error, doing: "re-evaluate segments")
        }
        return refresh
    }

    /// The members of a configured segment in a stable order, `limit` at a time: pass the last
    /// page's `next` to continue. `next` is `nil` on the last page.
    /// - Throws: `C360Error` `.notFound` for a segment that is not configured.
    public func segmentMembers(_ segment: String, after: UInt64? = nil, limit: Int = 1_000) throws(C360Error) -> (customerIDs: [String], next: UInt64?) {
        try requireSegment(segment)
        guard limit > 0 else { throw .invalid("page_size", "must be at least 1") }
        let range = StoreKeys.segmentMembers(segment)
        let iterator = database.makeIterator(families.segments, lowerBound: range.from, upperBound: range.to)
        if let after { iterator.seek(StoreKeys.segmentMember(segment, subject: after + 1)) } else { iterator.seekToFirst() }
        var customerIDs: [String] = []
        var last: UInt64?
        while iterator.isValid, customerIDs.count < limit {
            customerIDs.append(String(decoding: iterator.value, as: UTF8.self))
            last = StoreKeys.uint64(iterator.key.suffix(8))
            iterator.next()
        }
        do {
            try iterator.checkStatus()
        } catch {
            throw C360Error(storage: error, doing: "list the segment")
        }
        return (customerIDs, iterator.isValid ? last : nil)
    }

    /// How many customers are members of a configured segment now: its member entries counted.
    /// - Throws: `C360Error` `.notFound` for a segment that is not configured.
    public func segmentMemberCount(_ segment: String) throws(C360Error) -> UInt64 {
        try requireSegment(segment)
        let range = StoreKeys.segmentMembers(segment)
        let iterator = database.makeIterator(families.segments, lowerBound: range.from, upperBound: range.to)
        iterator.seekToFirst()
        var count: UInt64 = 0
        while iterator.isValid {
            count += 1
            iterator.next()
        }
        do {
            try iterator.checkStatus()
        } catch {
            throw C360Error(storage: error, doing: "count the segment's members")
        }
        return count
    }

    /// The configured segments the customer is a member of, by name.
    /// - Throws: `C360Error` `.notFound` or `.erased` for a customer the store does not have.
    public func segments(ofCustomer customerID: String) throws(C360Error) -> [String] {
        let subject = try subject(customerID: customerID)
        var names: [String] = []
        for segment in configuration.segments where try read(StoreKeys.segmentMember(segment.name, subject: subject), in: families.segments) != nil {
            names.append(segment.name)
        }
        return names
    }

    /// - Throws: `C360Error` `.notFound` when no segment `name` is configured.
    public func requireSegment(_ name: String) throws(C360Error) {
        guard !configuration.segments.contains(where: { $0.name == name }) else { return }
        let names = configuration.segments.map(\.name).joined(separator: ", ")
        throw C360Error(.notFound, "no segment \(name) is configured\(names.isEmpty ? "" : "; segments: \(names)")", field: "segment")
    }

    /// Every configured segment's members, for comparisons (tests, replay reports).
    public func allSegmentMembers() throws(C360Error) -> [String: Set<String>] {
        var all: [String: Set<String>] = [:]
        for segment in configuration.segments {
            var after: UInt64?
            var members: Set<String> = []
            repeat {
                let page = try segmentMembers(segment.name, after: after, limit: 10_000)
                members.formUnion(page.customerIDs)
                after = page.next
            } while after != nil
            all[segment.name] = members
        }
        return all
    }
}

extension EventStore {
    /// The UTC day segment membership is evaluated as of.
    public var segmentDay: CalendarDate {
        CalendarDate(Instant(microsecondsSinceEpoch: writer.segmentDay.load(ordering: .relaxed) * 86_400_000_000))
    }
}
