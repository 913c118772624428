import C360Codec
import C360Core
import C360Model
import C360Store
import Foundation
import SwiftProtobuf
import Synchronization
import Testing

/// Lookups answer with profiles kept evaluated and encoded (`EventStore.encodedProfile`): always
/// what evaluating the projection as last committed gives, whatever was kept before.
@Suite struct EncodedProfileTests {
    static let january = Instant(microsecondsSinceEpoch: 1_767_225_600 * 1_000_000)

    /// What the lookup must answer: the projection evaluated now, redacted when asked.
    static func expected(_ store: EventStore, _ customer: String, at instant: Instant, redacted: Bool) throws -> C360_V1_Profile {
        var profile = try store.profile(customerID: customer, asOf: instant)
        if redacted { PersonalDataRedaction.redact(&profile) }
        return C360_V1_Profile(profile)
    }

    static func answered(_ store: EventStore, _ customer: String, now: Instant, redacted: Bool) throws -> C360_V1_Profile {
        let response = try C360_V1_GetProfileResponse(serializedBytes: try store.encodedProfile(customerID: customer, now: now, redacted: redacted).getProfileResponse)
        return response.profile
    }

    @Test("after every append, both forms of the kept profile are the projection evaluated again")
    func followsEveryAppend() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            _ = await store.append([Events.customer("c", customer: "c1", first: "Ada", last: "Byron", email: "ada@example.org", phone: "+441234567890")])
            var now = Self.january
            for round in 0..<40 {
                for redacted in [false, true] {
                    // Twice: the second is answered from what the first kept.
                    for _ in 0..<2 {
                        #expect(try Self.answered(store, "c1", now: now, redacted: redacted) == Self.expected(store, "c1", at: now, redacted: redacted))
                    }
                }
                let event = round % 3 == 0
                    ? Events.order("o\(round)", customer: "c1", at: Instant(microsecondsSinceEpoch: Self.january.microsecondsSinceEpoch + Int64(round) * 3_600_000_000))
                    : Events.web("w\(round)", customer: "c1", seconds: 1_767_225_600 + Int64(round) * 60)
                #expect(await store.append([event]).allSatisfy(\.isAppended))
                now = Instant(microsecondsSinceEpoch: now.microsecondsSinceEpoch + 600_000_000)
            }
            #expect(try Self.answered(store, "c1", now: now, redacted: false).eventCount == 41)
            #expect(try Self.answered(store, "c1", now: now, redacted: true).details.firstName.isEmpty)
        }
    }

    @Test("a kept profile is not answered past the time it holds, nor for a time before it was evaluated")
    func ages() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            _ = await store.append([Events.order("o1", customer: "c1", at: Self.january)])
            let kept = try Self.answered(store, "c1", now: Self.january, redacted: false)
            #expect(kept.derived.lifecycleStage == .active)
            for days: Int64 in [1, 40, 100, 400] {
                let later = Instant(microsecondsSinceEpoch: Self.january.microsecondsSinceEpoch + days * 86_400_000_000)
                #expect(try Self.answered(store, "c1", now: later, redacted: false) == Self.expected(store, "c1", at: later, redacted: false))
            }
            // Kept as of day 400 (churned); asked as of day 1, it is active again.
            let asked = Instant(microsecondsSinceEpoch: Self.january.microsecondsSinceEpoch + 86_400_000_000)
            let explicit = try C360_V1_Profile(serializedBytes: try store.encodedProfile(customerID: "c1", asOf: asked, redacted: false).profile)
            #expect(explicit == (try Self.expected(store, "c1", at: asked, redacted: false)))
            #expect(explicit.derived.lifecycleStage == .active)
        }
    }

    @Test("an erased customer's kept profile is forgotten: the lookup says erased")
    func erasure() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            _ = await store.append([Events.customer("c", customer: "c1", first: "Ada", last: "Byron", email: "ada@example.org", phone: "+441234567890")])
            _ = try Self.answered(store, "c1", now: .now, redacted: false)
            _ = try await store.erase(customerID: "c1", requestID: "DSR-1")
            let error = #expect(throws: C360Error.self) { try store.encodedProfile(customerID: "c1", redacted: false) }
            #expect(error?.code == .erased)
            let byEmail = #expect(throws: C360Error.self) { try store.encodedProfile(identity: .init(type: .email, value: "ada@example.org"), redacted: false) }
            #expect(byEmail?.code == .notFound)
        }
    }

    @Test("lookups on other threads while appends commit never keep a profile older than the last commit")
    func concurrentLookups() async throws {
        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            let customers = (0..<8).map { "c\($0)" }
            _ = await store.append(customers.map { Events.web("w0-\($0)", customer: $0) })
            let answered = Counter()
            // Threads of their own (tasks would take the cooperative pool's threads from the
            // appends), each a bounded number of lookups with pauses, so as not to starve the
            // tests running beside this one.
            let readers = DispatchGroup()
            for _ in 0..<2 {
                DispatchQueue.global().async(group: readers) {
                    for _ in 0..<300 {
                        for customer in customers where (try? store.encodedProfile(customerID: customer, redacted: false)) != nil { answered.add() }
                        usleep(200)
                    }
                }
            }
            for round in 1...300 {
                let customer = customers[round % customers.count]
                #expect(await store.append([Events.web("w\(round)", customer: customer, seconds: 1_767_225_600 + Int64(round))]).allSatisfy(\.isAppended))
                // Read-your-writes: the acknowledged event is in the next answer.
                let now = Instant.now
                #expect(try Self.answered(store, customer, now: now, redacted: false) == Self.expected(store, customer, at: now, redacted: false))
            }
            readers.wait()
            #expect(answered.value > 0)
            let now = Instant.now
            for customer in customers {
                #expect(try Self.answered(store, customer, now: now, redacted: false) == Self.expected(store, customer, at: now, redacted: false))
            }
        }
    }
}

/// Counted from any thread.
final class Counter: Sendable {
    private let state = Mutex(0)
    var value: Int { state.withLock { $0 } }
    func add() { state.withLock { $0 += 1 } }
}
