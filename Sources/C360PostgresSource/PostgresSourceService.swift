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
            case .failure(let error) where error.code == .resourceExhausted && !Task.isShuttingDownGracefully:
                // The store refused the commit for now (its disk reserve, or its writer's queue full
                // of other clients' appends): nothing of it was stored, so the same changes are read
                // again from the stored position once there is room.
                logger.warning("source's changes refused by the store for now; retrying from its stored position", metadata: [
                    "source": "\(settings.name)", "error": "\(error.message)", "retry_in_seconds": "\(pause.components.seconds)",
                ])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            case .failure(let error) where error.code == .unavailable && !Task.isShuttingDownGracefully:
                logger.warning("source lost its connection; retrying from its stored position", metadata: [
                    "source": "\(settings.name)", "error": "\(error.message)", "retry_in_seconds": "\(pause.components.seconds)",
                ])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            case .failure(let error):
                if Task.isShuttingDownGracefully { return }
                logger.error("source stopped: fix what it names and start the server again; it resumes at its stored position", metadata: [
                    "source": "\(settings.name)", "error": "\(error.message)", "stored_lsn": "\(status.storedLSN.map(String.init(describing:)) ?? "none")",
                ])
                return
            }
        }
    }
}
