import C360Core
import SwiftProtobuf
import Testing

@Suite struct CalendarDateTests {
    @Test("parses valid dates and refuses impossible ones", arguments: [
        ("2024-02-29", true), ("2023-02-29", false), ("2026-13-01", false), ("2026-1-01", false),
        ("1999-12-31", true), ("abcd-ef-gh", false), ("2026-04-31", false), ("", false),
        ("2024-02-2x", false), ("20240-2-29", false), ("2024/02/29", false), ("2024-00-10", false),
    ])
    func parsing(_ text: String, _ valid: Bool) {
        #expect((CalendarDate(text) != nil) == valid)
    }

    @Test("the date of an instant is its UTC calendar date")
    func fromInstant() {
        // 2026-01-01T00:00:00Z and one microsecond before it.
        #expect(CalendarDate(Instant(secondsSinceEpoch: 1_767_225_600)).description == "2026-01-01")
        #expect(CalendarDate(Instant(microsecondsSinceEpoch: 1_767_225_600_000_000 - 1)).description == "2025-12-31")
        #expect(CalendarDate(Instant(secondsSinceEpoch: 0)).description == "1970-01-01")
    }

    @Test("age counts whole years, turning on the birthday")
    func age() throws {
        let birth = try #require(CalendarDate("1990-06-15"))
        #expect(birth.wholeYears(until: try #require(CalendarDate("2026-06-14"))) == 35)
        #expect(birth.wholeYears(until: try #require(CalendarDate("2026-06-15"))) == 36)
    }

    @Test("a timestamp beyond 64 bits of microseconds is held at the nearest end, and refused by init?(validating:)")
    func timestampsBeyondTheRange() {
        var far = Google_Protobuf_Timestamp()
        far.seconds = 10_000_000_000_000
        #expect(Instant(far).microsecondsSinceEpoch == .max)
        #expect(Instant(validating: far) == nil)
        far.seconds = .min
        #expect(Instant(far).microsecondsSinceEpoch == .min)
        far.seconds = Int64.max / 1_000_000
        far.nanos = 999_999_999
        #expect(Instant(far).microsecondsSinceEpoch == .max)
        var last = Google_Protobuf_Timestamp()
        last.seconds = Instant.latestTimestampSeconds
        #expect(Instant(validating: last) == Instant(secondsSinceEpoch: 253_402_300_799))
        last.nanos = -1
        #expect(Instant(validating: last) == nil)
    }

    @Test("an instant round-trips through a protobuf timestamp, negative times included")
    func timestampRoundTrip() {
        for micros: Int64 in [0, 1, -1, 1_767_225_600_123_456, -86_400_000_001] {
            let instant = Instant(microsecondsSinceEpoch: micros)
            #expect(Instant(instant.timestamp) == instant)
        }
    }

    @Test("a date's day number is the day of the instants in it, before 1970 and across leap days too")
    func dayNumber() throws {
        #expect(try #require(CalendarDate("1970-01-01")).dayNumber == 0)
        #expect(try #require(CalendarDate("1969-12-31")).dayNumber == -1)
        for day: Int64 in stride(from: -800_000, through: 800_000, by: 997) {
            let date = CalendarDate(Instant(secondsSinceEpoch: day * 86_400))
            #expect(date.dayNumber == day, "\(date)")
        }
    }
}
