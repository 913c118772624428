public import SwiftProtobuf
import Foundation

/// A moment in UTC with microsecond precision: the one time type of c360.
///
/// Times from the wire (`google.protobuf.Timestamp`) are truncated to the microsecond.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = secondsSinceEpoch * 1_000_000
    }

    /// The timestamp's instant; one beyond what microseconds since 1970 can hold in 64 bits
    /// (about 292,000 years either way) is held at the nearest end instead: times arrive from
    /// clients, and a conversion must never trap. Use `init?(validating:)` to refuse such a time.
    public init(_ timestamp: Google_Protobuf_Timestamp) {
        self.init(seconds: timestamp.seconds, nanos: timestamp.nanos)
    }

    /// A timestamp's fields as they came, held at the nearest end as `init(_:)` says.
    public init(seconds: Int64, nanos: Int32) {
        // Either step overflows only away from zero, on the side of the seconds' sign.
        let (micros, multiplied) = seconds.multipliedReportingOverflow(by: 1_000_000)
        let (sum, added) = micros.addingReportingOverflow(Int64(nanos / 1_000))
        self.microsecondsSinceEpoch = multiplied || added ? (seconds < 0 ? .min : .max) : sum
    }

    /// The timestamp's instant when it is a valid `google.protobuf.Timestamp` (0001-01-01 to
    /// 9999-12-31, nanoseconds 0 to 999,999,999, as the type's definition says), else nil.
    public init?(validating timestamp: Google_Protobuf_Timestamp) {
        guard (Self.earliestTimestampSeconds...Self.latestTimestampSeconds).contains(timestamp.seconds),
              (0..<1_000_000_000).contains(timestamp.nanos) else { return nil }
        self.init(timestamp)
    }

    /// The range of `google.protobuf.Timestamp`: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    public static let earliestTimestampSeconds: Int64 = -62_135_596_800
    public static let latestTimestampSeconds: Int64 = 253_402_300_799

    /// The current time from the system clock.
    public static var now: Instant {
        let timestamp = Google_Protobuf_Timestamp(date: .init())
        return Instant(timestamp)
    }

    public var timestamp: Google_Protobuf_Timestamp {
        let (seconds, nanos) = secondsAndNanos
        return Google_Protobuf_Timestamp(seconds: seconds, nanos: nanos)
    }

    /// The fields of `timestamp`: whole seconds rounded down, and the nanoseconds after them
    /// (never negative, as the timestamp's definition says).
    public var secondsAndNanos: (seconds: Int64, nanos: Int32) {
        var (seconds, micros) = microsecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000)
        if micros < 0 {
            seconds -= 1
            micros += 1_000_000
        }
        return (seconds, Int32(micros * 1_000))
    }

    /// Days since 1970-01-01, counting the day that contains this instant.
    public var dayNumber: Int64 {
        let microsPerDay: Int64 = 86_400_000_000
        return microsecondsSinceEpoch >= 0
            ? microsecondsSinceEpoch / microsPerDay
            : (microsecondsSinceEpoch - microsPerDay + 1) / microsPerDay
    }

    public func adding(days: Int64) -> Instant {
        Instant(microsecondsSinceEpoch: microsecondsSinceEpoch + days * 86_400_000_000)
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// RFC 3339, as in the protobuf JSON mapping.
    public var description: String {
        (try? timestamp.jsonString()).map { String($0.dropFirst().dropLast()) } ?? "\(microsecondsSinceEpoch)µs"
    }
}
