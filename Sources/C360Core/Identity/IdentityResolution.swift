public import C360Model

/// What identity resolution reads to decide: the identity index and the merged histories as of
/// the event being resolved (earlier events of the same commit included). The store reads it from
/// RocksDB and its caches; the tests from dictionaries.
///
/// Subjects are the store's numbers for customers and anonymous histories; `Key` is what an
/// identity is found under in the index.
public protocol IdentityIndex {
    associatedtype Key

    /// Whether `subject` is an anonymous history rather than a customer.
    func isAnonymous(_ subject: UInt64) -> Bool
    /// The subject holding the identity found under `key`, `nil` when nobody holds it.
    mutating func owner(of key: Key) throws(C360Error) -> UInt64?
    /// The customer the anonymous history `subject` is merged into, `nil` when it is on its own.
    mutating func mergedInto(_ subject: UInt64) throws(C360Error) -> UInt64?
    /// The anonymous histories merged into `customer`.
    mutating func members(of customer: UInt64) throws(C360Error) -> [UInt64]
    /// The identities of the anonymous history `subject`, as it stands (merging takes them along).
    mutating func identities(ofHistory subject: UInt64) throws(C360Error) -> [C360_V1_Identity]
    /// The identities of the anonymous history `subject` folded on its own again, as it is once
    /// taken out of its customer.
    mutating func identities(ofHistoryAlone subject: UInt64) throws(C360Error) -> [C360_V1_Identity]
}

/// The caps identity resolution keeps a customer under.
public struct IdentityLimits: Sendable, Equatable {
    /// Identities one customer holds at most, its merged histories' included.
    public var identitiesPerCustomer: Int
    /// Anonymous histories merged into one customer at most.
    public var mergedHistoriesPerCustomer: Int

    public init(identitiesPerCustomer: Int, mergedHistoriesPerCustomer: Int) {
        self.identitiesPerCustomer = identitiesPerCustomer
        self.mergedHistoriesPerCustomer = mergedHistoriesPerCustomer
    }
}

/// What identity resolution decided for one event: the resolution stored beside it in the log
/// (and folded into the projection), and the changes to the index it implies.
public struct IdentityDecision<Key> {
    public var resolution = C360_Store_V1_Resolution()
    /// Index keys to point at the event's subject, in the order of `resolution.linked`.
    public var linkKeys: [Key] = []
    /// Index keys to remove, in the order of `resolution.unlinked`.
    public var unlinkKeys: [Key] = []
    /// The customer's merged histories after the event, when it merged or unmerged any.
    public var members: [UInt64]?

    /// A decision that changes nothing.
    public init() {}

    /// Whether the event changed nothing: no resolution is stored for it.
    public var isEmpty: Bool {
        resolution.linked.isEmpty && resolution.unlinked.isEmpty && resolution.refused.isEmpty
            && resolution.merged.isEmpty && resolution.unmerged.isEmpty
    }
}

/// Identity resolution's decisions, as pure functions of the event and the index they read.
///
/// - An identity nobody has is linked to the event's subject (unless its customer is at the cap).
/// - An identity of an anonymous history not merged anywhere merges that history into the event's
///   customer: its events count in the customer's profile from then on.
/// - An identity of another customer (directly or through a merged history) is refused and
///   recorded as a conflict: links never move silently.
/// - An anonymous event never joins two anonymous histories; only a customer does.
/// - Unlinking an identity removes it from the customer, or, when a merged history holds it, takes
///   that history out again.
public enum IdentityResolution {
    /// Decides for one event.
    /// - Parameters:
    ///   - linking: the identities the event ties to its subject, normalized, each once, with their keys.
    ///   - unlinking: the identity an `IdentityUnlinked` event removes, normalized, with its key.
    ///   - subject: the subject the event is stored under.
    ///   - target: the subject whose projection folds it (an anonymous subject's customer, when merged).
    ///   - identityCount: the identities `target` holds now.
    // Inlinable so that the store's writer gets it specialized for its index: called generically
    // across the module boundary, every call built tuple metadata and went through witness tables
    // (`perf` of bulk ingest: a quarter of its 2.7% of the server's samples).
    @inlinable
    public static func decide<Index: IdentityIndex>(
        linking: [(identity: C360_V1_Identity, key: Index.Key)],
        unlinking: (identity: C360_V1_Identity, key: Index.Key)?,
        subject: UInt64, target: UInt64, identityCount: Int, limits: IdentityLimits,
        index: inout Index
    ) throws(C360Error) -> IdentityDecision<Index.Key> {
        var decision = IdentityDecision<Index.Key>()
        var identityCount = identityCount
        var members: [UInt64]?
        func currentMembers(_ index: inout Index) throws(C360Error) -> [UInt64] {
            if let members { return members }
            let read = try index.members(of: target)
            members = read
            return read
        }
        func refuse(_ identity: C360_V1_Identity, _ reason: C360_Store_V1_RefusalReason) {
            var refusal = C360_Store_V1_Refusal()
            refusal.identity = identity
            refusal.reason = reason
            decision.resolution.refused.append(refusal)
        }
        for (identity, key) in linking {
            guard let owner = try index.owner(of: key) else {
                if identityCount >= limits.identitiesPerCustomer {
                    refuse(identity, .identityCapReached)
                } else {
                    decision.resolution.linked.append(identity)
                    decision.linkKeys.append(key)
                    identityCount += 1
                }
                continue
            }
            if owner == subject || owner == target { continue }
            guard index.isAnonymous(owner) else {
                refuse(identity, .ownedByAnotherCustomer)
                continue
            }
            let ownerTarget = try index.mergedInto(owner)
            if ownerTarget == target { continue }
            if ownerTarget != nil {
                refuse(identity, .ownedByAnotherCustomer)
                continue
            }
            guard !index.isAnonymous(target) else { continue }
            if decision.resolution.merged.contains(where: { $0.subject == owner }) { continue }
            let historyIdentities = try index.identities(ofHistory: owner)
            var current = try currentMembers(&index)
            if identityCount + historyIdentities.count > limits.identitiesPerCustomer
                || current.count >= limits.mergedHistoriesPerCustomer {
                refuse(identity, .identityCapReached)
                continue
            }
            var merged = C360_Store_V1_MergedHistory()
            merged.subject = owner
            merged.identities = historyIdentities
            decision.resolution.merged.append(merged)
            identityCount += historyIdentities.count
            current.append(owner)
            members = current
        }
        if let (identity, key) = unlinking, !index.isAnonymous(target), let owner = try index.owner(of: key) {
            if owner == target {
                decision.resolution.unlinked.append(identity)
                decision.unlinkKeys.append(key)
            } else if index.isAnonymous(owner), try index.mergedInto(owner) == target {
                var unmerged = C360_Store_V1_MergedHistory()
                unmerged.subject = owner
                unmerged.identities = try index.identities(ofHistoryAlone: owner)
                decision.resolution.unmerged.append(unmerged)
                members = try currentMembers(&index).filter { $0 != owner }
            }
        }
        if !decision.resolution.merged.isEmpty || !decision.resolution.unmerged.isEmpty {
            decision.members = members
        }
        return decision
    }
}
