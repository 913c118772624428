#if canImport(Glibc)
import Glibc
#endif

/// Durations recorded by a benchmark, in nanoseconds, and the percentiles of them.
///
/// Percentiles use the nearest-rank method on the sorted samples: p99 of 1,000 samples is the
/// 990th smallest. No interpolation, so every reported figure is one that was measured.
public struct LatencySamples: Sendable {
    public private(set) var nanoseconds: [UInt64] = []

    public init() {}

    public init(_ nanoseconds: [UInt64]) { self.nanoseconds = nanoseconds }

    public mutating func record(_ duration: UInt64) { nanoseconds.append(duration) }

    public mutating func append(contentsOf other: LatencySamples) { nanoseconds.append(contentsOf: other.nanoseconds) }

    public var count: Int { nanoseconds.count }

    /// The `quantile` (0...1) in milliseconds; `nil` with no samples.
    public func milliseconds(at quantile: Double) -> Double? {
        guard !nanoseconds.isEmpty else { return nil }
        let sorted = nanoseconds.sorted()
        let rank = max(1, Int((quantile * Double(sorted.count)).rounded(.up)))
        return Double(sorted[min(rank, sorted.count) - 1]) / 1_000_000
    }

    /// p50, p99 and p99.9 in milliseconds, as the results file names them.
    public var summary: [String: Double] {
        var figures: [String: Double] = [:]
        if let p50 = milliseconds(at: 0.50) { figures["p50_ms"] = p50 }
        if let p99 = milliseconds(at: 0.99) { figures["p99_ms"] = p99 }
        if let p999 = milliseconds(at: 0.999) { figures["p99_9_ms"] = p999 }
        return figures
    }
}

/// Monotonic nanoseconds, for timing.
public func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
