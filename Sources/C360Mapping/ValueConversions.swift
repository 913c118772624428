import C360Core
import Foundation

/// Conversions of a source's text into what an event holds, exact and strict: each refuses what
/// it cannot convert without guessing, saying why.
enum ValueConversions {
    /// Digits after the decimal point of a currency's minor unit (ISO 4217); 2 unless listed.
    static func minorUnitDigits(of currency: String) -> Int {
        switch currency {
        case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF": 0
        case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND": 3
        case "CLF", "UYW": 4
        default: 2
        }
    }

    static func currency(_ text: String) throws(C360Error) -> String {
        func isCode(_ code: String) -> Bool {
            code.utf8.count == 3 && code.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        }
        // Nearly every source sends the code as it is stored: that needs no new string.
        if isCode(text) { return text }
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard isCode(code) else {
            throw C360Error(.invalidArgument, "\"\(text)\" is not a currency code (three letters, as GBP)")
        }
        return code
    }

    /// A decimal amount (`85.98`, `-3`, `1.5e2`, `85.9800`) in minor units of `currency`, exactly.
    /// - Throws: when it is not a decimal number, has more decimal places than the currency's
    ///   minor unit (other than zeros), or does not fit.
    static func minorUnits(decimal text: String, currency: String) throws(C360Error) -> Int64 {
        try scaled(decimal: text, digits: minorUnitDigits(of: currency), what: "\(currency) amount", places: "\(currency)'s minor unit")
    }

    /// A whole number (`12`, `-3`, `12.0`, `1e3`) exactly.
    static func integer(_ text: String) throws(C360Error) -> Int64 {
        try scaled(decimal: text, digits: 0, what: "whole number", places: "a whole number")
    }

    /// A whole number that fits in 32 bits, as an `int32` field holds.
    static func integer32(_ text: String) throws(C360Error) -> Int32 {
        let value = try integer(text)
        guard let fitting = Int32(exactly: value) else {
            throw C360Error(.invalidArgument, "\(value) is out of range: this field holds -2147483648 to 2147483647")
        }
        return fitting
    }

    /// `text` × 10^digits, which must be whole.
    static func scaled(decimal text: String, digits: Int, what: String, places: String) throws(C360Error) -> Int64 {
        if let plain = scaledPlain(text, digits: digits) { return plain }
        return try scaledGenerally(decimal: text, digits: digits, what: what, places: places)
    }

    /// `scaled(decimal:digits:what:places:)` of any text: trimmed, signed, with an exponent.
    static func scaledGenerally(decimal text: String, digits: Int, what: String, places: String) throws(C360Error) -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var characters = Substring(trimmed)
        let negative = characters.first == "-"
        if negative || characters.first == "+" { characters = characters.dropFirst() }
        var exponent = 0
        if let e = characters.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(characters[characters.index(after: e)...]), abs(value) <= 40 else {
                throw C360Error(.invalidArgument, "\"\(text)\" is not a \(what)")
            }
            exponent = value
            characters = characters[..<e]
        }
        let parts = characters.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty)) else {
            throw C360Error(.invalidArgument, "\"\(text)\" is not a \(what)")
        }
        var digitsText = String(parts[0]) + (parts.count == 2 ? String(parts[1]) : "")
        // The value is digitsText × 10^(exponent - fraction digits); scale it by 10^digits.
        var shift = exponent - (parts.count == 2 ? parts[1].count : 0) + digits
        if shift < 0 {
            let dropped = digitsText.suffix(min(-shift, digitsText.count))
            guard dropped.allSatisfy({ $0 == "0" }) else {
                throw C360Error(.invalidArgument, "\"\(text)\" has more decimal places than \(places)")
            }
            digitsText = String(digitsText.dropLast(dropped.count))
            shift = 0
        }
        digitsText += String(repeating: "0", count: shift)
        let significant = digitsText.drop { $0 == "0" }
        guard significant.count <= 19, let magnitude = UInt64(significant.isEmpty ? "0" : String(significant)),
              magnitude <= (negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)) else {
            throw C360Error(.invalidArgument, "\"\(text)\" is too large a \(what)")
        }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }

    /// `scaled(decimal:digits:...)` of the plain decimals nearly every source sends (`42.99`,
    /// `-3`, `7.50`), in one pass over the bytes: the general path's trimming, splitting and
    /// strings were a tenth of a database source's CPU (perf). `nil` for anything else — spaces,
    /// an exponent, a value it would refuse — which the general path decides, errors included.
    static func scaledPlain(_ text: String, digits: Int) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            var index = 0
            var negative = false
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                negative = sign == UInt8(ascii: "-")
                index = 1
            }
            var magnitude: UInt64 = 0
            var sawDigit = false
            var inFraction = false
            var fractionDigits = 0
            func times10(_ value: UInt64, plus digit: UInt64) -> UInt64? {
                let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
                let (sum, carried) = shifted.addingReportingOverflow(digit)
                return overflowed || carried ? nil : sum
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ".") {
                    if inFraction { return nil }
                    inFraction = true
                    continue
                }
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                sawDigit = true
                if inFraction {
                    fractionDigits += 1
                    // Beyond the unit only zeros are allowed, and they change nothing.
                    if fractionDigits > digits {
                        if byte != UInt8(ascii: "0") { return nil }
                        continue
                    }
                }
                guard let next = times10(magnitude, plus: UInt64(byte - UInt8(ascii: "0"))) else { return nil }
                magnitude = next
            }
            guard sawDigit else { return nil }
            for _ in 0..<max(0, digits - fractionDigits) {
                guard let next = times10(magnitude, plus: 0) else { return nil }
                magnitude = next
            }
            guard magnitude <= (negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)) else { return nil }
            return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
        }
    }

    static func bool(_ text: String) throws(C360Error) -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "t", "yes", "y", "1": true
        case "false", "f", "no", "n", "0": false
        default: throw C360Error(.invalidArgument, "\"\(text)\" is not true or false")
        }
    }

    /// An instant: seconds since 1970 and nanoseconds.
    struct Timestamp: Equatable {
        var seconds: Int64
        var nanos: Int32

        /// RFC 3339 in UTC, as protobuf's JSON writes a Timestamp.
        var rfc3339: String {
            let date = CalendarDate(Instant(secondsSinceEpoch: seconds))
            let secondOfDay = seconds - date.dayNumber * 86_400
            var text = date.description + String(format: "T%02lld:%02lld:%02lld", secondOfDay / 3_600, secondOfDay / 60 % 60, secondOfDay % 60)
            if nanos > 0 { text += String(format: ".%09d", nanos) }
            return text + "Z"
        }
    }

    /// `2026-11-30T05:01:02Z`, `2026-11-30T05:01:02.5+01:00`, or PostgreSQL's `timestamptz` text
    /// (`2026-11-30 05:01:02.123456+00`). Without an offset the text is local time in `zone`;
    /// with neither it is refused: a time without a zone is not an instant.
    static func timestamp(_ text: String, zone: TimeZone?) throws(C360Error) -> Timestamp {
        // Printable ASCII at both ends (what sources send) has nothing to trim: trimming through
        // Foundation was a third of reading a timestamp (perf of a database source).
        let bytes: [UInt8]
        if let first = text.utf8.first, let last = text.utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) {
            bytes = Array(text.utf8)
        } else {
            bytes = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        }
        func fail() -> C360Error {
            C360Error(.invalidArgument, "\"\(text)\" is not a timestamp such as 2026-11-30T05:01:02Z" + (zone == nil ? " (with its offset from UTC)" : ""))
        }
        /// The two-digit number at `range`.
        func number(_ range: Range<Int>) throws(C360Error) -> Int64 {
            guard range.upperBound <= bytes.count else { throw fail() }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw fail() }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { throw fail() }
        guard let date = CalendarDate(String(decoding: bytes[0..<10], as: UTF8.self)) else { throw fail() }
        let hour = try number(11..<13), minute = try number(14..<16), second = try number(17..<19)
        guard hour < 24, minute < 60, second < 60 else { throw fail() }
        var position = 19
        var nanos: Int32 = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            let start = position + 1
            position = start
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            guard position > start, position - start <= 9 else { throw fail() }
            for byte in bytes[start..<position] { nanos = nanos * 10 + Int32(byte - UInt8(ascii: "0")) }
            for _ in (position - start)..<9 { nanos *= 10 }
        }
        let local = date.dayNumber * 86_400 + hour * 3_600 + minute * 60 + second
        var offset: Int64
        if position == bytes.count {
            guard let zone else { throw fail() }
            // The offset in force at that local time (the earlier one where clocks went back).
            let guess = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local))))
            offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - guess))))
        } else if bytes[position] == UInt8(ascii: "Z") || bytes[position] == UInt8(ascii: "z") {
            guard position + 1 == bytes.count else { throw fail() }
            offset = 0
        } else {
            guard bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") else { throw fail() }
            let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            let rest = bytes.count - position - 1
            let hours = try number(position + 1..<position + 3)
            var minutes: Int64 = 0
            switch rest {
            case 2: break
            case 4: minutes = try number(position + 3..<position + 5)
            case 5 where bytes[position + 3] == UInt8(ascii: ":"): minutes = try number(position + 4..<position + 6)
            default: throw fail()
            }
            guard hours < 24, minutes < 60 else { throw fail() }
            offset = sign * (hours * 3_600 + minutes * 60)
        }
        return Timestamp(seconds: local - offset, nanos: nanos)
    }

    /// Seconds (`1764478862`, `1764478862.5`) or milliseconds since 1970.
    static func epoch(_ text: String, milliseconds: Bool) throws(C360Error) -> Timestamp {
        let nanos = try scaled(decimal: text, digits: milliseconds ? 6 : 9, what: "number of \(milliseconds ? "milliseconds" : "seconds") since 1970", places: "a nanosecond")
        // Floor division by quotient and remainder: subtracting first overflowed at the most
        // negative number of nanoseconds.
        var (seconds, remainder) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        if remainder < 0 {
            seconds -= 1
            remainder += 1_000_000_000
        }
        return Timestamp(seconds: seconds, nanos: Int32(remainder))
    }
}
