import C360Core
package import C360Model
import C360Store
import Foundation
import GRPCCore
import SwiftProtobuf
import Logging

extension ProfileRPCService {
    package func createBackup(_ request: C360_V1_CreateBackupRequest) async throws -> C360_V1_BackupManifest {
        guard let backupRoot else {
            throw C360Error(.failedPrecondition, "this server takes no backups: start it with --backup-root DIR (or backup.root in its configuration)")
        }
        guard request.destination.hasPrefix("/") else {
            throw C360Error.invalid("destination", "must be an absolute path on the server")
        }
        // Resolved, so that neither `..` nor a symbolic link leads out of the root.
        let destination = URL(fileURLWithPath: request.destination).standardizedFileURL.resolvingSymlinksInPath().path
        guard destination == backupRoot || destination.hasPrefix(backupRoot + "/") else {
            throw C360Error(.permissionDenied, "\(destination) is outside the server's backup root \(backupRoot)", field: "destination")
        }
        let manifest = try await store.backup(into: destination, actor: Caller.current?.name ?? Caller.unrestricted.name)
        logger.notice("backup written", metadata: ["c360.backup": "\(destination)/\(manifest.name)", "c360.seq": "\(manifest.seq)"])
        var response = C360_V1_BackupManifest()
        response.name = manifest.name
        response.path = destination + "/" + manifest.name
        response.seq = manifest.seq
        response.events = manifest.events
        response.createdAt = (try? Google_Protobuf_Timestamp(jsonString: "\"\(manifest.createdAt)\"")) ?? Google_Protobuf_Timestamp()
        return response
    }
}
