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

    /// p50, p99 and p99.9 in milliseconds, as the results file names them; empty with no samples.
    public var summary: [String: Double] {
        guard !nanoseconds.isEmpty else { return [:] }
        let sorted = nanoseconds.sorted()
        func milliseconds(at quantile: Double) -> Double {
            let rank = max(1, Int((quantile * Double(sorted.count)).rounded(.up)))
            return Double(sorted[min(rank, sorted.count) - 1]) / 1_000_000
        }
        return ["p50_ms": milliseconds(at: 0.50), "p99_ms": milliseconds(at: 0.99), "p99_9_ms": milliseconds(at: 0.999)]
    }
}

/// Monotonic nanoseconds, for timing.
public func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
