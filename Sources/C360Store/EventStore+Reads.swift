import C360Codec
public import C360Core
public import C360Model
import Foundation
import RocksDB

extension EventStore {
    /// The customer's profile evaluated as of `asOf`.
    /// - Throws: `C360Error` `.erased` for an erased customer, `.notFound` for an unknown one.
    public func profile(customerID: String, asOf: Instant = .now) throws(C360Error) -> Profile {
        guard !customerID.isEmpty else { throw .invalid("customer_id", "is required") }
        let subject = try subject(customerID: customerID)
        return try profile(subject: subject, asOf: asOf)
    }

    /// The profile of whoever `identity` points at: a customer, or an anonymous visitor.
    /// - Throws: `C360Error` `.notFound` when no one has that identity.
    public func profile(identity: C360_V1_Identity, asOf: Instant = .now) throws(C360Error) -> Profile {
        guard identity.type != .unspecified, !identity.value.isEmpty else {
            throw .invalid("identity", "needs a type and a value")
        }
        guard let subject = try identityIndex.value(at: pseudonyms.identityIndexKey(identity)) else {
            throw C360Error(.notFound, "no customer has that \(IdentityKey.name(of: identity.type))")
        }
        return try profile(subject: try projectionSubject(of: subject), asOf: asOf)
    }

    /// A lookup's answer for a customer, encoded: the profile as of `asOf` (`now` when `nil`),
    /// without the personal fields when `redacted`. Profiles evaluated as of now are kept until
    /// the customer's projection changes or the evaluation no longer holds
    /// (`ProfileEvaluator.unchangedUntil`), so the lookups that follow neither read nor evaluate.
    public func encodedProfile(customerID: String, asOf: Instant? = nil, now: Instant = .now, redacted: Bool) throws(C360Error) -> EncodedProfile {
        guard !customerID.isEmpty else { throw .invalid("customer_id", "is required") }
        return try encodedProfile(subject: try subject(customerID: customerID), asOf: asOf, now: now, redacted: redacted)
    }

    /// `encodedProfile(customerID:asOf:redacted:)` for whoever `identity` points at.
    public func encodedProfile(identity: C360_V1_Identity, asOf: Instant? = nil, now: Instant = .now, redacted: Bool) throws(C360Error) -> EncodedProfile {
        guard identity.type != .unspecified, !identity.value.isEmpty else {
            throw .invalid("identity", "needs a type and a value")
        }
        guard let subject = try identityIndex.value(at: pseudonyms.identityIndexKey(identity)) else {
            throw C360Error(.notFound, "no customer has that \(IdentityKey.name(of: identity.type))")
        }
        return try encodedProfile(subject: try projectionSubject(of: subject), asOf: asOf, now: now, redacted: redacted)
    }

    private func encodedProfile(subject: UInt64, asOf requested: Instant?, now: Instant, redacted: Bool) throws(C360Error) -> EncodedProfile {
        let asOf = requested ?? now
        let evaluator = ProfileEvaluator(settings: configuration.profile)
        let evaluated = try projections.profile(of: subject, redacted: redacted, asOf: asOf, keep: requested == nil) { projection in
            var profile = evaluator.profile(of: projection, asOf: asOf)
            let until = ProfileEvaluator.unchangedUntil(profile, evaluatedAt: asOf)
            if redacted { PersonalDataRedaction.redact(&profile) }
            return EvaluatedProfile(encoded: ProfileWithoutAsOf(profile), evaluatedAt: asOf, unchangedUntil: until)
        }
        guard let evaluated else { throw C360Error(.notFound, "no profile for that customer yet") }
        return EncodedProfile(evaluated: evaluated, asOf: asOf)
    }

    /// The stored projection of a customer, before evaluation.
    public func projection(customerID: String) throws(C360Error) -> Projection {
        let subject = try subject(customerID: customerID)
        guard let projection = try projections.projection(of: subject) else {
            throw C360Error(.notFound, "customer \(customerID) has no projection")
        }
        return projection
    }

    /// The customer's events, with those of the anonymous histories merged into it, newest
    /// first: at most `limit`, and only those before log position `beforeSeq` when given (to page
    /// through a long history).
    public func timeline(customerID: String, limit: Int = 100, beforeSeq: UInt64? = nil) throws(C360Error) -> [C360_V1_LoggedEvent] {
        guard limit > 0 else { throw .invalid("limit", "must be at least 1") }
        let customer = try subject(customerID: customerID)
        var events: [C360_V1_LoggedEvent] = []
        for subject in [customer] + (try storedMembers(of: customer)) {
            let iterator = database.makeIterator(
                families.events,
                lowerBound: StoreKeys.event(subject: subject, seq: 0),
                upperBound: StoreKeys.event(subject: subject, seq: beforeSeq ?? UInt64.max))
            iterator.seekToLast()
            var taken = 0
            while iterator.isValid, taken < limit {
                var logged = C360_V1_LoggedEvent()
                logged.seq = StoreKeys.uint64(iterator.key, at: 8) ?? 0
                logged.event = try decodeEvent(iterator.value)
                events.append(logged)
                taken += 1
                iterator.previous()
            }
            do {
                try iterator.checkStatus()
            } catch {
                throw C360Error(storage: error, doing: "read the timeline")
            }
        }
        events.sort { $0.seq > $1.seq }
        return Array(events.prefix(limit))
    }

    /// Calls `body` with every stored projection of the current keyspace in subject order (and
    /// not with the keyspace's checkpoint, kept after them).
    func forEachStoredProjection(_ body: (_ subjectKey: [UInt8], _ bytes: [UInt8]) throws -> Void) throws {
        try database.forEachEntry(in: projections.family, from: StoreKeys.allSubjects.from, to: StoreKeys.allSubjects.to, body)
    }

    /// The digest of the projections as committed now (those waiting behind the log written first).
    public func liveDigest() throws(C360Error) -> ProjectionDigest {
        try projections.writeAll()
        var digest = ProjectionDigest.Builder()
        do {
            try forEachStoredProjection { key, value in digest.add(subjectKey: key, projection: value) }
        } catch {
            throw C360Error(error, doing: "read the projections")
        }
        return digest.finish()
    }

    /// The events in the log now, erased ones not counted. One read, unlike `statistics()`.
    public func eventCount() throws(C360Error) -> UInt64 {
        try read(StoreKeys.Meta.eventCount, in: families.meta).flatMap { StoreKeys.uint64($0) } ?? 0
    }

    /// Counts and sizes for `c360 stats`.
    public func statistics() throws(C360Error) -> StoreStatistics {
        var statistics = StoreStatistics()
        statistics.lastSeq = lastSeq
        statistics.events = try eventCount()
        try projections.writeAll()
        do {
            try forEachStoredProjection { _, value in
                // Only the customer id's presence is needed; a projection without one is an anonymous visitor.
                let projection = try decodeProjection(value)
                if projection.customerID.isEmpty { statistics.anonymousVisitors += 1 } else { statistics.customers += 1 }
            }
            let erased = StoreKeys.tombstonesByHash
            try database.forEachEntry(in: families.tombstones, from: erased.from, to: erased.to) { _, _ in
                statistics.erasedCustomers += 1
            }
        } catch {
            throw C360Error(error, doing: "count the customers")
        }
        statistics.snapshotSeq = try snapshotInfo()?.seq
        statistics.bytesOnDisk = Self.directorySize(directory)
        return statistics
    }

    func subject(customerID: String) throws(C360Error) -> UInt64 {
        if let subject = customerSubjects.value(for: customerID) { return subject }
        let customerHash = pseudonyms.customerHash(customerID)
        if let subject = try indexedSubject(customerID: customerID, customerHash: customerHash) { return subject }
        if try tombstone(hash: customerHash) != nil {
            throw C360Error(.erased, "customer \(customerID) was erased", field: "customer_id")
        }
        throw C360Error(.notFound, "no customer \(customerID)", field: "customer_id")
    }

    /// The subject of a customer the cache of subjects did not hold, read from the index by the
    /// keyed hash of its id and cached for the next; `nil` for one that does not exist (never
    /// created, or erased: `subject(customerID:)` tells which, at the cost of another read).
    func indexedSubject(customerID: String, customerHash: [UInt8]) throws(C360Error) -> UInt64? {
        let ticket = customerSubjects.ticket(for: customerID)
        guard let subject = try identityIndex.value(at: PseudonymKey.indexKey(customerHash: customerHash)) else {
            return nil
        }
        customerSubjects.add(subject, for: customerID, readWith: ticket)
        return subject
    }

    private func profile(subject: UInt64, asOf: Instant) throws(C360Error) -> Profile {
        ProfileEvaluator(settings: configuration.profile).profile(of: try storedProjection(subject), asOf: asOf)
    }

    /// The projection of `subject` as last committed.
    func storedProjection(_ subject: UInt64) throws(C360Error) -> Projection {
        guard let projection = try projections.projection(of: subject) else {
            throw C360Error(.notFound, "no profile for that customer yet")
        }
        return projection
    }

    static func directorySize(_ directory: String) -> UInt64 {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else { return 0 }
        var total: UInt64 = 0
        for case let url as URL in walker {
            if let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true {
                total += UInt64(values.fileSize ?? 0)
            }
        }
        return total
    }
}

/// What `c360 stats` reports.
public struct StoreStatistics: Sendable {
    public var events: UInt64 = 0
    public var customers: UInt64 = 0
    public var anonymousVisitors: UInt64 = 0
    public var erasedCustomers: UInt64 = 0
    public var lastSeq: UInt64 = 0
    public var snapshotSeq: UInt64?
    public var bytesOnDisk: UInt64 = 0
}
