import C360API
import C360Core
import C360Model
import C360Service
import C360Store
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf
import Testing

/// Bearer tokens, scopes, redaction and the audit log, through a real server and client.
@Suite struct AccessControlTests {
    static let scopesByToken: [String: Set<AccessScope>] = [
        "reader": [.read], "pii-reader": [.read, .readPersonalData], "writer": [.write], "eraser": [.erase],
        "admin": Set(AccessScope.allCases),
    ]
    /// The secret of each token, by its name.
    static let secrets: [String: String] = Dictionary(uniqueKeysWithValues: scopesByToken.keys.map { ($0, "secret-of-\($0)") })

    static var security: ServerSecurity {
        ServerSecurity(tokens: scopesByToken.map { name, scopes in
            AccessToken(name: name, sha256: AccessToken.digest(of: secrets[name]!), scopes: scopes)
        })
    }

    static func bearer(_ name: String) -> Metadata { ["authorization": "Bearer \(secrets[name]!)"] }

    static func upsert(_ id: String, customer: String) -> C360_V1_Event {
        var event = ProfileRPCServiceTests.web(id, customer: customer)
        var upsert = C360_V1_CustomerUpserted()
        upsert.firstName = "Ottoline"
        upsert.lastName = "Quarrington"
        upsert.email = "ottoline.q@example.org"
        upsert.phone = "+447700900123"
        upsert.dateOfBirth = "1980-05-17"
        upsert.address.line1 = "12 Larkspur Row"
        upsert.address.city = "Tewkesbury"
        upsert.address.country = "GB"
        upsert.loyaltyTier = .gold
        event.customerUpserted = upsert
        var identity = C360_V1_Identity()
        identity.type = .email
        identity.value = "ottoline.q@example.org"
        event.identities = [identity]
        return event
    }

    static let personalStrings = ["Ottoline", "Quarrington", "ottoline.q@example.org", "+447700900123", "1980-05-17", "12 Larkspur Row", "Tewkesbury"]

    /// Whether any personal string of `upsert(_:customer:)` appears in `message`'s encoding.
    static func holdsPersonalData(_ message: some SwiftProtobuf.Message) throws -> Bool {
        let bytes: [UInt8] = try message.serializedBytes()
        let text = String(decoding: bytes, as: UTF8.self)
        return personalStrings.contains { text.contains($0) }
    }

    static func auditEntries(_ store: EventStore) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: store.directory + "/" + EventStore.auditLogName, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("no token or an unknown one is UNAUTHENTICATED, on the fast path and grpc-swift's; health stays open; each refusal is audited")
    func unauthenticated() async throws {
        try await withAPIServer(security: Self.security) { api, health, store in
            let lookup = ProfileRPCServiceTests.lookup("c1")
            await #expect { try await api.getProfile(lookup) } throws: { ($0 as? RPCError)?.code == .unauthenticated }
            await #expect { try await api.getProfile(lookup, metadata: ["authorization": "Bearer not-a-token"]) } throws: {
                ($0 as? RPCError)?.code == .unauthenticated
            }
            await #expect { try await api.appendEvents(ProfileRPCServiceTests.request([ProfileRPCServiceTests.web("e1", customer: "c1")])) } throws: {
                ($0 as? RPCError)?.code == .unauthenticated
            }
            var timeline = C360_V1_GetTimelineRequest()
            timeline.customerID = "c1"
            await #expect { try await api.getTimeline(timeline, metadata: ["authorization": "Basic abc"]) } throws: {
                ($0 as? RPCError)?.code == .unauthenticated
            }
            #expect(try await health.check(Grpc_Health_V1_HealthCheckRequest()).status == .serving)
            #expect(store.lastSeq == 0)

            let denied = try Self.auditEntries(store)
            #expect(denied.count == 4)
            #expect(denied.allSatisfy { $0["action"] as? String == "denied" && $0["status"] as? String == "UNAUTHENTICATED" && $0["actor"] == nil })
            #expect(denied.map { $0["method"] as? String } == [
                "/c360.v1.ProfileService/GetProfile", "/c360.v1.ProfileService/GetProfile",
                "/c360.v1.ProfileService/AppendEvents", "/c360.v1.ProfileService/GetTimeline",
            ])
            #expect(denied.allSatisfy { ($0["peer"] as? String)?.hasPrefix("ipv4:127.0.0.1:") == true })
        }
    }

    @Test("each scope grants its methods and no others: PERMISSION_DENIED, audited with the token's name")
    func scopes() async throws {
        try await withAPIServer(security: Self.security) { api, _, store in
            _ = try await api.appendEvents(ProfileRPCServiceTests.request([ProfileRPCServiceTests.web("seed", customer: "c1")]), metadata: Self.bearer("admin"))
            var erasures = 0
            for name in Self.scopesByToken.keys.sorted() {
                let scopes = Self.scopesByToken[name]!
                let metadata = Self.bearer(name)
                func outcome(_ call: () async throws -> Void) async -> Bool? {
                    do {
                        try await call()
                        return true
                    } catch let error as RPCError where error.code == .permissionDenied {
                        return false
                    } catch {
                        Issue.record("\(name): unexpected \(error)")
                        return nil
                    }
                }
                let readable = scopes.contains(.read) || scopes.contains(.readPersonalData)
                #expect(await outcome { _ = try await api.getProfile(ProfileRPCServiceTests.lookup("c1"), metadata: metadata) } == readable, "\(name) GetProfile")
                var batch = C360_V1_BatchGetProfilesRequest()
                batch.customerIds = ["c1"]
                #expect(await outcome { _ = try await api.batchGetProfiles(batch, metadata: metadata) } == readable, "\(name) BatchGetProfiles")
                var timeline = C360_V1_GetTimelineRequest()
                timeline.customerID = "c1"
                #expect(await outcome { _ = try await api.getTimeline(timeline, metadata: metadata) } == readable, "\(name) GetTimeline")
                let append = ProfileRPCServiceTests.request([ProfileRPCServiceTests.web("by-\(name)", customer: "c1")])
                #expect(await outcome { _ = try await api.appendEvents(append, metadata: metadata) } == scopes.contains(.write), "\(name) AppendEvents")
                #expect(await outcome {
                    _ = try await api.appendEventStream(metadata: metadata) { writer in try await writer.write(append) }
                } == scopes.contains(.write), "\(name) AppendEventStream")
                var erase = C360_V1_EraseCustomerRequest()
                erase.customerID = "erased-by-\(name)"
                erase.requestID = "DSR-\(name)"
                #expect(await outcome { _ = try await api.eraseCustomer(erase, metadata: metadata) } == scopes.contains(.erase), "\(name) EraseCustomer")
                if scopes.contains(.erase) { erasures += 1 }
            }
            let entries = try Self.auditEntries(store)
            let denials = entries.filter { $0["action"] as? String == "denied" }
            #expect(denials.allSatisfy { $0["status"] as? String == "PERMISSION_DENIED" })
            // reader and pii-reader are refused 3 calls each, writer 4, eraser 5.
            let expectedDenials = 15
            #expect(denials.count == expectedDenials)
            #expect(denials.filter { $0["actor"] as? String == "writer" }.compactMap { $0["method"] as? String }.sorted() == [
                "/c360.v1.ProfileService/BatchGetProfiles", "/c360.v1.ProfileService/EraseCustomer",
                "/c360.v1.ProfileService/GetProfile", "/c360.v1.ProfileService/GetTimeline",
            ])
            #expect(entries.filter { $0["action"] as? String == "erase" }.count == erasures)
        }
    }

    @Test("without read:pii the personal fields are left out of profiles, batches, timelines and watches; with it they are there")
    func redaction() async throws {
        try await withAPIServer(security: Self.security) { api, _, store in
            let appended = try await api.appendEvents(
                ProfileRPCServiceTests.request([Self.upsert("u1", customer: "p1")]), metadata: Self.bearer("writer"))
            #expect(appended.results.first?.seq == 1)

            let redacted = try await api.getProfile(ProfileRPCServiceTests.lookup("p1"), metadata: Self.bearer("reader")).profile
            #expect(redacted.personalDataRedacted)
            #expect(try !Self.holdsPersonalData(redacted))
            #expect(redacted.details.loyaltyTier == .gold)
            #expect(redacted.details.age > 0)
            // The upsert's email and phone were linked as identities: their types stay, their values go.
            #expect(Set(redacted.identities.map(\.identity.type)) == [.email, .phone])
            #expect(redacted.identities.allSatisfy { $0.identity.value.isEmpty })
            let full = try await api.getProfile(ProfileRPCServiceTests.lookup("p1"), metadata: Self.bearer("pii-reader")).profile
            #expect(!full.personalDataRedacted)
            #expect(full.details.email == "ottoline.q@example.org")
            #expect(full.details.address.city == "Tewkesbury")
            #expect(full.identities.first?.identity.value == "ottoline.q@example.org")

            var batch = C360_V1_BatchGetProfilesRequest()
            batch.customerIds = ["p1"]
            let batched = try await api.batchGetProfiles(batch, metadata: Self.bearer("reader"))
            #expect(batched.results.first?.profile.personalDataRedacted == true)
            #expect(try !Self.holdsPersonalData(batched))

            var timeline = C360_V1_GetTimelineRequest()
            timeline.customerID = "p1"
            let events = try await api.getTimeline(timeline, metadata: Self.bearer("reader"))
            #expect(events.personalDataRedacted)
            #expect(events.events.count == 1)
            #expect(try !Self.holdsPersonalData(events))
            #expect(events.events.first?.event.customerUpserted.loyaltyTier == .gold)
            let fullEvents = try await api.getTimeline(timeline, metadata: Self.bearer("pii-reader"))
            #expect(!fullEvents.personalDataRedacted)
            #expect(try Self.holdsPersonalData(fullEvents))

            // A lookup that waits for min_seq is served by grpc-swift's path, not the fast path.
            let waiting = Task {
                try await api.getProfile(ProfileRPCServiceTests.lookup("p1", minSeq: 2), metadata: Self.bearer("reader")).profile
            }
            // A watch streams after the access check returned: the caller must still be known.
            var watch = C360_V1_WatchProfilesRequest()
            watch.customerIds = ["p1"]
            let watching = Task {
                try await api.watchProfiles(watch, metadata: Self.bearer("reader")) { response -> C360_V1_ProfileChange? in
                    for try await change in response.messages { return change }
                    return nil
                }
            }
            while store.changes.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            _ = try await api.appendEvents(
                ProfileRPCServiceTests.request([ProfileRPCServiceTests.web("w2", customer: "p1")]), metadata: Self.bearer("writer"))
            let waited = try await waiting.value
            #expect(waited.seq == 2)
            #expect(waited.personalDataRedacted)
            #expect(try !Self.holdsPersonalData(waited))
            let change = try #require(try await watching.value)
            #expect(change.profile.personalDataRedacted)
            #expect(try !Self.holdsPersonalData(change))
        }
    }

    @Test("an erasure is audited with who asked, the request and the tombstone, and the audit log holds no personal data")
    func erasureAudit() async throws {
        try await withAPIServer(security: Self.security) { api, _, store in
            _ = try await api.appendEvents(ProfileRPCServiceTests.request([Self.upsert("u1", customer: "gone-1")]), metadata: Self.bearer("writer"))
            var erase = C360_V1_EraseCustomerRequest()
            erase.customerID = "gone-1"
            erase.requestID = "DSR-2026-0042"
            await #expect { try await api.eraseCustomer(erase, metadata: Self.bearer("reader")) } throws: {
                ($0 as? RPCError)?.code == .permissionDenied
            }
            let receipt = try await api.eraseCustomer(erase, metadata: Self.bearer("eraser"))
            #expect(receipt.filesWithPersonalData == 0)

            let entries = try Self.auditEntries(store)
            #expect(entries.map { $0["action"] as? String } == ["denied", "erase"])
            let erasure = entries[1]
            #expect(erasure["actor"] as? String == "eraser")
            #expect(erasure["request_id"] as? String == "DSR-2026-0042")
            #expect(erasure["customer_hash"] as? String == receipt.tombstone.customerHash)
            #expect(erasure["tombstone_seq"] as? Int == Int(receipt.tombstone.seq))
            #expect(erasure["events_removed"] as? Int == 1)
            #expect(erasure["files_with_personal_data"] as? Int == 0)
            #expect((erasure["time"] as? String)?.hasSuffix("Z") == true)
            let text = try String(contentsOfFile: store.directory + "/" + EventStore.auditLogName, encoding: .utf8)
            #expect(!text.contains("gone-1"))
            #expect(!Self.personalStrings.contains { text.contains($0) })
        }
    }
}
