import C360API
import C360Core
import C360Model
import C360Service
import C360Store
import Foundation
import GRPCCore
import Testing
import SwiftProtobuf

/// `CreateBackup` through a real server: the scope it needs, the root it keeps to, and a backup
/// that restores.
@Suite struct BackupRPCTests {
    @Test("CreateBackup needs the backup scope, writes only inside the server's backup root, and what it writes restores")
    func createBackup() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("c360-backup-rpc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/allowed", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withAPIServer(security: AccessControlTests.security, backupRoot: root + "/allowed") { api, _, _ in
            let append = ProfileRPCServiceTests.request([ProfileRPCServiceTests.web("b1", customer: "c1"), ProfileRPCServiceTests.web("b2", customer: "c2")])
            _ = try await api.appendEvents(append, metadata: AccessControlTests.bearer("admin"))

            var request = C360_V1_CreateBackupRequest()
            request.destination = root + "/allowed/set"
            await #expect { _ = try await api.createBackup(request, metadata: AccessControlTests.bearer("eraser")) } throws: {
                ($0 as? RPCError)?.code == .permissionDenied
            }
            for outside in [root + "/elsewhere", root + "/allowed/../elsewhere", "relative/path"] {
                request.destination = outside
                await #expect("\(outside)") { _ = try await api.createBackup(request, metadata: AccessControlTests.bearer("admin")) } throws: {
                    [.permissionDenied, .invalidArgument].contains(($0 as? RPCError)?.code)
                }
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/elsewhere"))

            request.destination = root + "/allowed/set"
            let manifest = try await api.createBackup(request, metadata: AccessControlTests.bearer("admin"))
            #expect(manifest.events == 2)
            #expect(manifest.path == root + "/allowed/set/" + manifest.name)
            #expect(manifest.createdAt.seconds > 1_700_000_000)
            let report = try await EventStore.restore(backup: manifest.path, into: root + "/restored")
            #expect(report.manifest.seq == manifest.seq)
            let copy = try EventStore(directory: root + "/restored")
            defer { copy.close() }
            #expect(try copy.projection(customerID: "c2").eventCount == 1)
        }
        try await withAPIServer { api, _, _ in
            var request = C360_V1_CreateBackupRequest()
            request.destination = root + "/any"
            await #expect { _ = try await api.createBackup(request) } throws: { ($0 as? RPCError)?.code == .failedPrecondition }
        }
    }
}
