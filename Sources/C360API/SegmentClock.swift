import C360Core
import C360Service
public import C360Store
public import Logging
public import ServiceLifecycle

/// Keeps segment membership current as time passes: re-evaluates every customer when it starts
/// and whenever the UTC day changes, so windowed conditions (`recent_product_views > 10`) and
/// lifecycle stages age without new events.
public struct SegmentClock: Service {
    let store: EventStore
    let logger: Logger
    /// How often the day is checked.
    let checkEvery: Duration

    public init(store: EventStore, logger: Logger, checkEvery: Duration = .seconds(60)) {
        self.store = store
        self.logger = logger
        self.checkEvery = checkEvery
    }

    public func run() async throws {
        guard !store.configuration.segments.isEmpty else { return }
        var day: Int64?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let today = Instant.now.dayNumber
            if day != today {
                do throws(C360Error) {
                    let refresh = try await store.refreshSegments(day: today)
                    day = today
                    logger.info("segments evaluated", metadata: [
                        "day": "\(store.segmentDay)", "customers": "\(refresh.customersEvaluated)",
                        "entered": "\(refresh.entered)", "left": "\(refresh.left)",
                    ])
                } catch {
                    logger.error("segment re-evaluation failed; retrying", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: checkEvery)
        }
    }
}
