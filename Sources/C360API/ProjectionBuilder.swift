import C360Core
public import C360Store
public import Logging
public import ServiceLifecycle
import Synchronization

/// Builds the configured fold's projections in the background when the served ones were built by
/// another (a new c360 version's fold, or changed `fold` settings), and switches to them: the
/// server serves from its first second instead of after a rebuild.
public struct ProjectionBuilder: Service {
    let store: EventStore
    let logger: Logger

    public init(store: EventStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        guard store.projectionVersionBuildDue else { return }
        logger.notice("building the projections of the configured fold in the background; the current ones keep serving", metadata: [
            "fold": "\(store.configuration.fold.fingerprint)",
        ])
        let reporter = ProgressLog(logger: logger)
        do {
            // A stop cancels the build (it starts again at the next start): the server stops at once.
            let built = try await withGracefulShutdownHandler { () async throws -> ProjectionVersionBuild? in
                try await store.buildProjectionVersion(progress: { reporter.folded($0) })
            } onGracefulShutdown: {
                store.cancelVersionBuild()
            }
            guard let build = built else { return }
            logger.notice("switched to the projections of the configured fold", metadata: [
                "from_fold": "\(build.fromFold)", "to_fold": "\(build.toFold)", "events": "\(build.events)",
                "projections": "\(build.projections)", "catch_up_rounds": "\(build.catchUpRounds)",
                "refolded": "\(build.subjectsRefolded)", "appends_paused_seconds": "\(build.switchSeconds)",
                "seconds": "\(build.seconds)",
            ])
        } catch {
            logger.error("the build of the configured fold's projections stopped; the current ones keep serving", metadata: [
                "error": "\(error)",
            ])
        }
    }

    /// Logs the build's progress each time another million events were folded.
    private final class ProgressLog: Sendable {
        let logger: Logger
        let millionsLogged = Atomic<UInt64>(0)

        init(logger: Logger) { self.logger = logger }

        func folded(_ events: UInt64) {
            let millions = events / 1_000_000
            if millions > millionsLogged.load(ordering: .relaxed) {
                millionsLogged.store(millions, ordering: .relaxed)
                logger.info("building projections", metadata: ["events_folded": "\(events)"])
            }
        }
    }
}
