import C360Core
public import C360Store
import Foundation
public import Logging
public import ServiceLifecycle

/// Runs a PostgreSQL source for `c360 serve`: started with the server, stopped with it. A lost
/// connection (PostgreSQL restarting, the network), or a commit the store refuses for now (a full
/// disk, its writer's queue full), is retried with a growing pause, resuming at the stored
/// position; a record the mapping refuses or a mapped column that changed stops the
/// source until the mapping is fixed and the server started again, and is logged as an error.
public struct PostgresSourceService: Service {
    let settings: PostgresSourceSettings
    let store: EventStore
    let logger: Logger

    public init(settings: PostgresSourceSettings, store: EventStore, logger: Logger) {
        self.settings = settings
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        var pause = Duration.seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let source = PostgresSource(settings: settings, store: store)
            logger.notice("source starting", metadata: ["source": "\(settings.name)", "tables": "\(settings.tables.joined(separator: ","))"])
            let result = await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, C360Error>, Never>) in
                        Thread { continuation.resume(returning: Result { () throws(C360Error) in try source.run() }) }.start()
                    }
                } onCancel: {
                    source.stop()
                }
            } onGracefulShutdown: {
                source.stop()
            }
            let status = source.status
            switch result {
            case .success:
                logger.notice("source stopped", metadata: ["source": "\(settings.name)", "stored_lsn": "\(status.storedLSN.map(String.init(describing:)) ?? "none")"])
                return
            case .failure(let error) where !Task.isShuttingDownGracefully:
                if let reason = Self.retryReason(error) {
                    logger.warning("\(reason); retrying from its stored position", metadata: [
                        "source": "\(settings.name)", "error": "\(error.message)", "retry_in_seconds": "\(pause.components.seconds)",
                    ])
                    try? await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(30))
                    continue
                }
                logger.error("source stopped: fix what it names and start the server again; it resumes at its stored position", metadata: [
                    "source": "\(settings.name)", "error": "\(error.message)", "stored_lsn": "\(status.storedLSN.map(String.init(describing:)) ?? "none")",
                ])
                return
            case .failure:
                return  // the server is shutting down
            }
        }
    }

    /// Why a failure of the source is retried after a pause, `nil` when it stops the source until
    /// the server is started again (a record the mapping refuses, a column that changed, a
    /// database not set up for logical replication: waiting would not change them).
    static func retryReason(_ error: C360Error) -> String? {
        switch error.code {
        case .unavailable: "source lost its connection"
        // The store refused the commit for now (its disk reserve, or its writer's queue full of
        // other clients' appends): nothing of it was stored, and the same changes are read again.
        case .resourceExhausted: "source's changes refused by the store for now"
        default: nil
        }
    }
}
