import C360Core
import Foundation
@testable import C360Mapping
import Testing

@Suite struct ValueConversionsTests {
    @Test("decimal amounts become minor units exactly, by the currency's minor unit", arguments: [
        ("85.98", "GBP", Int64(8_598)), ("85.9", "GBP", 8_590), ("85", "GBP", 8_500), ("85.980", "GBP", 8_598),
        ("-85.98", "GBP", -8_598), ("0.01", "EUR", 1), ("1.5e2", "GBP", 15_000), ("1e-2", "GBP", 1), ("100", "JPY", 100),
        ("1.234", "KWD", 1_234), ("92233720368547758.07", "GBP", Int64.max), ("+3.10", "USD", 310), ("0", "GBP", 0),
    ])
    func amounts(text: String, currency: String, minor: Int64) throws {
        #expect(try ValueConversions.minorUnits(decimal: text, currency: currency) == minor)
    }

    @Test("amounts that cannot be converted without rounding, or are not numbers, are refused", arguments: [
        ("0.001", "GBP"), ("100.5", "JPY"), ("85,98", "GBP"), ("", "GBP"), (".", "GBP"), ("1.2.3", "GBP"), ("NaN", "GBP"),
        ("92233720368547758.08", "GBP"), ("1e400", "GBP"), ("١٢", "GBP"), ("0x10", "GBP"), ("12 34", "GBP"),
    ])
    func badAmounts(text: String, currency: String) {
        #expect(throws: C360Error.self) { try ValueConversions.minorUnits(decimal: text, currency: currency) }
    }

    @Test("random prices keep every minor unit: no binary float on the way")
    func randomPrices() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let major = Int64.random(in: 0...9_999_999_999_999, using: &generator)
            let minor = Int64.random(in: 0...99, using: &generator)
            let text = "\(major).\(minor < 10 ? "0" : "")\(minor)"
            #expect(try ValueConversions.minorUnits(decimal: text, currency: "GBP") == major * 100 + minor, "\(text)")
        }
    }

    @Test("the one-pass reading of plain decimals agrees with the general one wherever it answers, and answers for plain decimals")
    func plainDecimalsAgree() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0000123456789...--+e ")
        var answered = 0
        for round in 0..<50_000 {
            let text = round % 2 == 0
                ? String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
                : "\(["", "-", "+"].randomElement(using: &generator)!)\(UInt64.random(in: 0...UInt64.max >> UInt64.random(in: 0...63, using: &generator), using: &generator))"
                    + (Bool.random(using: &generator) ? ".\(UInt32.random(in: 0...999_999, using: &generator))" : "")
            let digits = [0, 2, 3, 4, 6, 9].randomElement(using: &generator)!
            guard let plain = ValueConversions.scaledPlain(text, digits: digits) else { continue }
            answered += 1
            do {
                let general = try ValueConversions.scaledGenerally(decimal: text, digits: digits, what: "number", places: "places")
                #expect(general == plain, "\(text) at \(digits)")
            } catch {
                Issue.record("\(text) at \(digits): \(plain) in one pass, refused by the general path: \(error.message)")
            }
        }
        #expect(answered > 10_000)
        #expect(ValueConversions.scaledPlain("42.99", digits: 2) == 4_299)
        #expect(ValueConversions.scaledPlain("-0.5", digits: 3) == -500)
        #expect(ValueConversions.scaledPlain("1.5e2", digits: 2) == nil)
        #expect(ValueConversions.scaledPlain(" 1", digits: 2) == nil)
        #expect(ValueConversions.scaledPlain("0.001", digits: 2) == nil)
    }

    @Test("timestamps: RFC 3339 with any offset, PostgreSQL's timestamptz text, local time in a zone, epoch seconds and milliseconds", arguments: [
        ("2026-11-30T05:01:02Z", nil as String?, "2026-11-30T05:01:02Z"),
        ("2026-11-30T05:01:02.5+01:00", nil, "2026-11-30T04:01:02.500000000Z"),
        ("2026-11-30 05:01:02.123456+00", nil, "2026-11-30T05:01:02.123456000Z"),
        ("2026-11-30 05:01:02-0330", nil, "2026-11-30T08:31:02Z"),
        ("2026-07-01 12:00:00", "Europe/London", "2026-07-01T11:00:00Z"),
        ("2026-12-01 12:00:00", "Europe/London", "2026-12-01T12:00:00Z"),
        ("2024-02-29T23:59:59Z", nil, "2024-02-29T23:59:59Z"),
        ("1969-12-31T23:59:59Z", nil, "1969-12-31T23:59:59Z"),
    ])
    func timestamps(text: String, zone: String?, expected: String) throws {
        #expect(try ValueConversions.timestamp(text, zone: zone.flatMap(TimeZone.init(identifier:))).rfc3339 == expected)
    }

    @Test("a time without an offset and no zone, or an impossible date, is refused", arguments: [
        "2026-11-30 05:01:02", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "30/11/2026",
        "2026-11-30T05:01:02+1", "2026-11-30T05:01:02.1234567890Z", "2026-11-30T05:01:02Zjunk",
    ])
    func badTimestamps(text: String) {
        #expect(throws: C360Error.self) { try ValueConversions.timestamp(text, zone: nil) }
    }

    @Test("epoch seconds and milliseconds")
    func epochs() throws {
        #expect(try ValueConversions.epoch("1764478862", milliseconds: false).rfc3339 == "2025-11-30T05:01:02Z")
        #expect(try ValueConversions.epoch("1764478862.25", milliseconds: false).rfc3339 == "2025-11-30T05:01:02.250000000Z")
        #expect(try ValueConversions.epoch("1764478862123", milliseconds: true).rfc3339 == "2025-11-30T05:01:02.123000000Z")
        #expect(try ValueConversions.epoch("-1", milliseconds: true).rfc3339 == "1969-12-31T23:59:59.999000000Z")
        // The most negative nanoseconds 64 bits hold: floored without overflowing.
        let earliest = try ValueConversions.epoch("-9223372036.854775808", milliseconds: false)
        #expect(earliest.seconds == -9_223_372_037 && earliest.nanos == 145_224_192)
    }

    @Test("booleans as databases and exports write them")
    func booleans() throws {
        for text in ["t", "true", "TRUE", "1", "yes"] { #expect(try ValueConversions.bool(text)) }
        for text in ["f", "false", "0", "no"] { #expect(try !ValueConversions.bool(text)) }
        #expect(throws: C360Error.self) { try ValueConversions.bool("maybe") }
    }
}
