import C360Core
import C360Model
import Testing

/// Identity resolution's decisions over an index of dictionaries: every rule of
/// `IdentityResolution`, one table row each, in milliseconds.
@Suite struct IdentityResolutionRuleTests {
    /// Subjects as the store numbers them: the high bit marks an anonymous history.
    static let anonymousBit: UInt64 = 1 << 63
    static let customer: UInt64 = 1
    static let otherCustomer: UInt64 = 2
    static let history: UInt64 = anonymousBit | 10
    static let otherHistory: UInt64 = anonymousBit | 11
    static let historyOfOther: UInt64 = anonymousBit | 12

    /// The index as dictionaries; identities are found under their value.
    struct TableIndex: IdentityIndex {
        var owners: [String: UInt64] = [:]
        var mergedIntoTable: [UInt64: UInt64] = [:]
        var historyIdentities: [UInt64: [C360_V1_Identity]] = [:]
        /// A history's identities when folded alone, where they differ from `historyIdentities`.
        var aloneIdentities: [UInt64: [C360_V1_Identity]] = [:]
        /// Every read, to check that nothing is read that a decision does not need.
        var reads: [String] = []

        func isAnonymous(_ subject: UInt64) -> Bool { subject & IdentityResolutionRuleTests.anonymousBit != 0 }

        mutating func owner(of key: String) throws(C360Error) -> UInt64? {
            reads.append("owner \(key)")
            return owners[key]
        }

        mutating func mergedInto(_ subject: UInt64) throws(C360Error) -> UInt64? {
            mergedIntoTable[subject]
        }

        mutating func members(of customer: UInt64) throws(C360Error) -> [UInt64] {
            reads.append("members")
            return mergedIntoTable.filter { $0.value == customer }.map(\.key).sorted()
        }

        mutating func identities(ofHistory subject: UInt64) throws(C360Error) -> [C360_V1_Identity] {
            historyIdentities[subject] ?? []
        }

        mutating func identities(ofHistoryAlone subject: UInt64) throws(C360Error) -> [C360_V1_Identity] {
            aloneIdentities[subject] ?? historyIdentities[subject] ?? []
        }
    }

    static func cookie(_ value: String) -> C360_V1_Identity { .init(type: .cookieID, value: value) }

    /// An index where `ck-mine` is the customer's, `ck-theirs` another customer's, `ck-merged` a
    /// history merged into the customer, `ck-merged-elsewhere` a history merged into the other
    /// customer, `ck-anon` and `ck-anon2` histories on their own (two identities each).
    static func index() -> TableIndex {
        var index = TableIndex()
        index.owners = [
            "ck-mine": customer, "ck-theirs": otherCustomer, "ck-merged": otherHistory,
            "ck-merged-elsewhere": historyOfOther, "ck-anon": history, "dev-anon": history,
        ]
        index.mergedIntoTable = [otherHistory: customer, historyOfOther: otherCustomer]
        index.historyIdentities = [
            history: [cookie("ck-anon"), .init(type: .deviceID, value: "dev-anon")],
            otherHistory: [cookie("ck-merged")],
        ]
        return index
    }

    static let limits = IdentityLimits(identitiesPerCustomer: 100, mergedHistoriesPerCustomer: 50)

    static func decide(
        linking: [String], unlinking: String? = nil, subject: UInt64 = customer, target: UInt64 = customer,
        identityCount: Int = 1, limits: IdentityLimits = limits, index: inout TableIndex
    ) throws -> IdentityDecision<String> {
        try IdentityResolution.decide(
            linking: linking.map { (cookie($0), $0) }, unlinking: unlinking.map { (cookie($0), $0) },
            subject: subject, target: target, identityCount: identityCount, limits: limits, index: &index)
    }

    /// A decision in a few words, for the tables: `linked`, `refused`, `merged` and `unlinked`
    /// identities or subjects, and the members after it.
    static func summary(_ decision: IdentityDecision<String>) -> String {
        var parts: [String] = []
        parts += decision.resolution.linked.map { "link \($0.value)" }
        parts += decision.resolution.refused.map {
            "refuse \($0.identity.value) (\($0.reason == .identityCapReached ? "cap" : "owned"))"
        }
        parts += decision.resolution.merged.map { "merge \($0.subject & ~anonymousBit)" }
        parts += decision.resolution.unlinked.map { "unlink \($0.value)" }
        parts += decision.resolution.unmerged.map { "unmerge \($0.subject & ~anonymousBit)" }
        if let members = decision.members { parts.append("members \(members.map { $0 & ~anonymousBit })") }
        return parts.joined(separator: ", ")
    }

    @Test("a customer's event: each identity linked, kept, refused or merged by who holds it", arguments: [
        (["ck-new"], "link ck-new"),
        (["ck-mine"], ""),
        (["ck-theirs"], "refuse ck-theirs (owned)"),
        (["ck-merged"], ""),
        (["ck-merged-elsewhere"], "refuse ck-merged-elsewhere (owned)"),
        (["ck-anon"], "merge 10, members [11, 10]"),
        // Two identities of one history merge it once.
        (["ck-anon", "dev-anon"], "merge 10, members [11, 10]"),
        (["ck-new", "ck-theirs", "ck-anon", "ck-mine"], "link ck-new, refuse ck-theirs (owned), merge 10, members [11, 10]"),
    ])
    func customerEvent(linking: [String], expected: String) throws {
        var index = Self.index()
        #expect(Self.summary(try Self.decide(linking: linking, index: &index)) == expected)
    }

    @Test("an anonymous event links new identities but never joins two anonymous histories", arguments: [
        (["ck-new"], "link ck-new"),
        (["ck-anon"], ""),
        (["ck-merged"], "refuse ck-merged (owned)"),
        (["ck-theirs"], "refuse ck-theirs (owned)"),
        (["ck-stray"], ""),
    ])
    func anonymousEvent(linking: [String], expected: String) throws {
        var index = Self.index()
        // Another history on its own: an anonymous event does not merge it.
        index.owners["ck-stray"] = Self.anonymousBit | 13
        let decision = try Self.decide(linking: linking, subject: Self.history, target: Self.history, index: &index)
        #expect(Self.summary(decision) == expected)
    }

    @Test("an anonymous history's event, once merged, is resolved for its customer", arguments: [
        (["ck-new"], "link ck-new"),
        (["ck-mine"], ""),
        (["ck-merged"], ""),
        (["ck-anon"], "merge 10, members [11, 10]"),
    ])
    func mergedHistoryEvent(linking: [String], expected: String) throws {
        var index = Self.index()
        let decision = try Self.decide(linking: linking, subject: Self.otherHistory, target: Self.customer, index: &index)
        #expect(Self.summary(decision) == expected)
    }

    @Test("the caps: identities beyond them, or a history that would take the customer over, are refused", arguments: [
        // identities per customer, histories per customer, identities held, linking, expected
        (3, 50, 1, ["ck-a", "ck-b", "ck-c"], "link ck-a, link ck-b, refuse ck-c (cap)"),
        (3, 50, 3, ["ck-a"], "refuse ck-a (cap)"),
        // The history brings two identities: 2 + 2 > 3.
        (3, 50, 2, ["ck-anon"], "refuse ck-anon (cap)"),
        (4, 50, 2, ["ck-anon"], "merge 10, members [11, 10]"),
        // The customer already has one merged history.
        (100, 1, 1, ["ck-anon"], "refuse ck-anon (cap)"),
        (100, 2, 1, ["ck-anon"], "merge 10, members [11, 10]"),
        // A merge counts towards the identities linked after it.
        (4, 50, 1, ["ck-anon", "ck-a", "ck-b"], "link ck-a, refuse ck-b (cap), merge 10, members [11, 10]"),
    ] as [(Int, Int, Int, [String], String)])
    func caps(identities: Int, histories: Int, held: Int, linking: [String], expected: String) throws {
        var index = Self.index()
        let limits = IdentityLimits(identitiesPerCustomer: identities, mergedHistoriesPerCustomer: histories)
        let decision = try Self.decide(linking: linking, identityCount: held, limits: limits, index: &index)
        #expect(Self.summary(decision) == expected)
    }

    @Test("unlinking: the customer's own identity is unlinked, a merged history's takes the history out, others change nothing", arguments: [
        ("ck-mine", customer, "unlink ck-mine"),
        ("ck-merged", customer, "unmerge 11, members []"),
        ("ck-theirs", customer, ""),
        ("ck-merged-elsewhere", customer, ""),
        ("ck-anon", customer, ""),
        ("ck-nobody", customer, ""),
        // An anonymous history has nothing to unlink.
        ("ck-anon", history, ""),
    ])
    func unlinking(identity: String, target: UInt64, expected: String) throws {
        var index = Self.index()
        index.aloneIdentities[Self.otherHistory] = [Self.cookie("ck-merged"), Self.cookie("ck-later")]
        let decision = try Self.decide(linking: [], unlinking: identity, subject: target, target: target, index: &index)
        #expect(Self.summary(decision) == expected)
        if expected.hasPrefix("unmerge") {
            // The history leaves with the identities it has on its own.
            #expect(decision.resolution.unmerged.first?.identities.map(\.value) == ["ck-merged", "ck-later"])
        }
        if expected.hasPrefix("unlink") { #expect(decision.unlinkKeys == [identity]) }
    }

    @Test("links and their index keys stay in step, and a decision that changes nothing is empty")
    func keysAndEmptiness() throws {
        var index = Self.index()
        let decision = try Self.decide(linking: ["ck-x", "ck-mine", "ck-y"], index: &index)
        #expect(decision.linkKeys == ["ck-x", "ck-y"])
        #expect(decision.resolution.linked.map(\.value) == decision.linkKeys)
        #expect(!decision.isEmpty)
        #expect(decision.members == nil)
        var quiet = Self.index()
        #expect(try Self.decide(linking: ["ck-mine", "ck-merged"], index: &quiet).isEmpty)
    }

    @Test("members are read only when a history is merged or taken out")
    func membersReadOnlyWhenNeeded() throws {
        var index = Self.index()
        _ = try Self.decide(linking: ["ck-new", "ck-theirs", "ck-mine"], unlinking: "ck-mine", index: &index)
        #expect(!index.reads.contains("members"))
        _ = try Self.decide(linking: ["ck-anon"], index: &index)
        #expect(index.reads.filter { $0 == "members" }.count == 1)
    }
}
