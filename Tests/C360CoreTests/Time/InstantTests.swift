import C360Core
import SwiftProtobuf
import Testing

@Suite struct InstantTests {
    /// A timestamp's seconds are rounded down and its nanoseconds never negative, for every
    /// instant 64 bits of microseconds hold, the extremes among them (which once overflowed).
    @Test(arguments: [Int64.min, Int64.min + 1, -1_000_001, -1_000_000, -999_999, -1, 0, 1, 999_999, 1_000_000, 1_767_225_600_123_456, Int64.max])
    func secondsAndNanos(micros: Int64) {
        let (seconds, nanos) = Instant(microsecondsSinceEpoch: micros).secondsAndNanos
        #expect((0..<1_000_000_000).contains(nanos))
        #expect(nanos % 1_000 == 0)
        #expect(Int128(seconds) * 1_000_000 + Int128(nanos / 1_000) == Int128(micros))
        let timestamp = Instant(microsecondsSinceEpoch: micros).timestamp
        #expect(timestamp.seconds == seconds && timestamp.nanos == nanos)
    }

    @Test func instantBeforeTheEpoch() {
        let (seconds, nanos) = Instant(microsecondsSinceEpoch: -1).secondsAndNanos
        #expect(seconds == -1)
        #expect(nanos == 999_999_000)
    }
}
