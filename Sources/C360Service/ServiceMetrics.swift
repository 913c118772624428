import CoreMetrics
import Dispatch

/// What the API counts and times, through swift-metrics (see `StoreMetrics` in C360Store).
enum ServiceMetrics {
    /// A `GetProfile` answered, from the request decoded to the response built.
    static let lookupDuration = Timer(label: "c360_lookup_duration_seconds")
    static let profileWatchers = Meter(label: "c360_stream_subscribers", dimensions: [("stream", "profiles")])
    static let segmentWatchers = Meter(label: "c360_stream_subscribers", dimensions: [("stream", "segment")])

    /// Creates every metric, so that each is exported from the start (see `StoreMetrics.prepare`).
    static func prepare() {
        _ = lookupDuration
        profileWatchers.set(0)
        segmentWatchers.set(0)
    }

    static func recordLookup(since start: UInt64) {
        lookupDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- start))
    }
}
