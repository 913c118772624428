import C360Core
import C360Generator
import C360Model
@testable import C360Store
import Foundation
import Synchronization
import Testing

@Suite struct BackupTests {
    let customerID = "cust_backup_then_erase_51c2"
    let email = "hortensia.quibbleworth@erase-me.example"
    let personalData = ["Hortensia", "Quibbleworth", "hortensia.quibbleworth@erase-me.example", "+447700111999", "cust_backup_then_erase_51c2"]

    func targetEvents() -> [C360_V1_Event] {
        [Events.customer("hq1", customer: customerID, first: "Hortensia", last: "Quibbleworth", email: email, phone: "+447700111999")]
            + (2...10).map { Events.web("hq\($0)", customer: customerID, seconds: 1_767_225_600 + Int64($0)) }
    }

    /// Every file under `directory` holding any of `needles`.
    func filesContaining(_ needles: [String], under directory: String) throws -> [String] {
        try PersonalDataScanner().scan(directory: directory, for: needles.map { Array($0.utf8) }).filesWithMatches
    }

    @Test("backup, then erase, then restore: the customer stays erased, in every restored file too; the others are as backed up")
    func restoreAppliesLaterErasures() async throws {
        try await withTemporaryDirectory { directory in
            let root = (directory as NSString).deletingLastPathComponent
            let store = try EventStore(directory: directory)
            defer { store.close() }
            var others: [C360_V1_Event] = []
            SyntheticDataGenerator(customers: 150, events: 3_000, seed: 12).generate { others.append($0) }
            _ = await store.append(Array(others.prefix(2_000)))
            #expect(await store.append(targetEvents()).allSatisfy { $0.isAppended })

            let manifest = try await store.backup(into: root + "/backups")
            #expect(manifest.seq == store.lastSeq)
            let backupPath = root + "/backups/" + manifest.name
            #expect(try !filesContaining(personalData, under: backupPath).isEmpty, "the backup must hold the customer before the erasure")
            let otherIDs = (1...150).map(SyntheticDataGenerator.customerID)
            let atBackup = otherIDs.map { try? store.projection(customerID: $0) }

            let receipt = try await store.erase(customerID: customerID, requestID: "DSR-7")
            let ledger = try BackupSet(directory: root + "/backups").recordedErasures()
            #expect(ledger.map(\.customerHash) == [receipt.tombstone.customerHash])
            #expect(ledger.first?.requestID == "DSR-7")
            // After the backup: not in the restored copy.
            _ = await store.append(Array(others.suffix(1_000)))

            let restored = root + "/restored"
            let report = try await EventStore.restore(backup: backupPath, into: restored)
            #expect(report.erasuresApplied == 1)
            #expect(report.manifest == manifest)
            #expect(try filesContaining(personalData, under: restored) == [])

            let copy = try EventStore(directory: restored)
            defer { copy.close() }
            let lookup = #expect(throws: C360Error.self) { try copy.profile(customerID: customerID) }
            #expect(lookup?.code == .erased)
            #expect(try copy.tombstone(customerID: customerID)?.requestID == "DSR-7")
            #expect(await copy.append([Events.web("hq99", customer: customerID)]).first?.error?.code == .erased)
            #expect(otherIDs.map { try? copy.projection(customerID: $0) } == atBackup)
            #expect(try await copy.replay(fromSnapshot: false).matchesLive)
        }
    }

    @Test("an erasure made just before a backup is in no file of it")
    func erasureBeforeBackup() async throws {
        try await withTemporaryDirectory { directory in
            let root = (directory as NSString).deletingLastPathComponent
            let store = try EventStore(directory: directory)
            defer { store.close() }
            #expect(await store.append(targetEvents()).allSatisfy { $0.isAppended })
            _ = await store.append((1...200).map { Events.web("o\($0)", customer: "cust_other_\($0 % 20)") })
            async let erased = store.erase(customerID: customerID, requestID: "DSR-8")
            async let backedUp = store.backup(into: root + "/backups")
            let (receipt, manifest) = try await (erased, backedUp)
            #expect(receipt.filesWithPersonalData == 0)
            #expect(try filesContaining(personalData, under: root + "/backups/" + manifest.name) == [])
            // Whichever came first, the backup's set knows the erasure.
            #expect(try BackupSet(directory: root + "/backups").recordedErasures().map(\.customerHash).contains(receipt.tombstone.customerHash))
        }
    }

    @Test("a backup taken during concurrent appends restores whole batches only, every batch acknowledged before it, and projections equal to their replay")
    func backupDuringAppends() async throws {
        try await withTemporaryDirectory { directory in
            let root = (directory as NSString).deletingLastPathComponent
            let store = try EventStore(directory: directory)
            defer { store.close() }
            let progress = AppendProgress()
            let manifest = try await withThrowingTaskGroup(of: BackupManifest?.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for batch in 0..<60 {
                            let customer = "cust_batch_\(writer)_\(batch)"
                            let events = (0..<20).map { Events.web("b-\(writer)-\(batch)-\($0)", customer: customer, seconds: 1_767_225_600 + Int64($0)) }
                            let outcomes = await store.append(events)
                            #expect(outcomes.allSatisfy { $0.isAppended })
                            if !progress.backupStarted.load(ordering: .acquiring) {
                                progress.acknowledgedBeforeBackup.withLock { _ = $0.insert(customer) }
                            }
                        }
                        return nil
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(150))
                    progress.backupStarted.store(true, ordering: .releasing)
                    return try await store.backup(into: root + "/backups")
                }
                var manifest: BackupManifest?
                for try await result in group where result != nil { manifest = result }
                return try #require(manifest)
            }
            let restored = root + "/restored"
            _ = try await EventStore.restore(backup: root + "/backups/" + manifest.name, into: restored)
            let copy = try EventStore(directory: restored)
            defer { copy.close() }
            var batchesPresent = 0
            for writer in 0..<4 {
                for batch in 0..<60 {
                    let customer = "cust_batch_\(writer)_\(batch)"
                    if let projection = try? copy.projection(customerID: customer) {
                        #expect(projection.eventCount == 20, "batch \(customer) is in the backup in part")
                        batchesPresent += 1
                    } else {
                        #expect(!progress.acknowledgedBeforeBackup.withLock { $0.contains(customer) }, "batch \(customer) was acknowledged before the backup began")
                    }
                }
            }
            #expect(UInt64(batchesPresent * 20) == manifest.events)
            #expect(copy.lastSeq == manifest.seq)
            #expect(try await copy.replay(fromSnapshot: false).matchesLive)
        }
    }

    @Test("restore refuses a directory in use, something that is not a backup, and a backup whose set lost its ledger")
    func restoreRefusals() async throws {
        try await withTemporaryDirectory { directory in
            let root = (directory as NSString).deletingLastPathComponent
            let backupPath: String
            do {
                let store = try EventStore(directory: directory)
                defer { store.close() }
                _ = await store.append([Events.web("r1", customer: "cust_r")])
                backupPath = root + "/backups/" + (try await store.backup(into: root + "/backups")).name
                let inside = await #expect(throws: C360Error.self) { try await store.backup(into: directory + "/backups") }
                #expect(inside?.field == "destination")
            }
            let notEmpty = await #expect(throws: C360Error.self) { try await EventStore.restore(backup: backupPath, into: directory) }
            #expect(notEmpty?.message.contains("not empty") == true)
            let notBackup = await #expect(throws: C360Error.self) { try await EventStore.restore(backup: root, into: root + "/r1") }
            #expect(notBackup?.message.contains("not a c360 backup") == true)
            try FileManager.default.removeItem(atPath: root + "/backups/" + BackupSet.ledgerName)
            let noLedger = await #expect(throws: C360Error.self) { try await EventStore.restore(backup: backupPath, into: root + "/r2") }
            #expect(noLedger?.code == .failedPrecondition)
            #expect(!FileManager.default.fileExists(atPath: root + "/r2"))
        }
    }
}

/// What the appending tasks and the backup task share.
private final class AppendProgress: Sendable {
    /// Batches (by their customer) acknowledged before the backup began.
    let acknowledgedBeforeBackup = Mutex<Set<String>>([])
    let backupStarted = Atomic<Bool>(false)
}
