import C360Transport
import Testing

@Suite struct GRPCTimeoutTests {
    @Test("grpc-timeout values in every unit", arguments: [
        ("1H", 3_600_000_000_000), ("2M", 120_000_000_000), ("3S", 3_000_000_000), ("250m", 250_000_000),
        ("7u", 7_000), ("99999999n", 99_999_999),
    ] as [(String, Int64)])
    func units(value: String, nanoseconds: Int64) {
        #expect(GRPCTimeout.nanoseconds(value) == nanoseconds)
    }

    @Test("malformed timeouts are refused", arguments: ["", "S", "10", "1s", "123456789S", "-1S", "1.5S", "１S"])
    func malformed(value: String) {
        #expect(GRPCTimeout.nanoseconds(value) == nil)
    }
}

@Suite struct GRPCStatusTests {
    @Test("grpc-message is percent-encoded: non-ASCII and % as %XX")
    func percentEncoding() {
        #expect(GRPCStatus(.internalError, "100% über").encodedMessage == "100%25 %C3%BCber")
    }

    @Test("a long message is cut to a bound, never in the middle of a character")
    func bounded() {
        let message = String(repeating: "é", count: 5_000)
        let encoded = GRPCStatus(.invalidArgument, message).encodedMessage
        #expect(encoded.count == (GRPCStatus.maximumMessageLength / 2) * 6)
        #expect(encoded.hasSuffix("%C3%A9"))
        // One byte off: the cut falls inside a character and moves back before it.
        let shifted = GRPCStatus(.invalidArgument, "a" + message).encodedMessage
        #expect(shifted == "a" + String(repeating: "%C3%A9", count: (GRPCStatus.maximumMessageLength - 1) / 2))
        let ascii = GRPCStatus(.invalidArgument, String(repeating: "x", count: 5_000)).encodedMessage
        #expect(ascii == String(repeating: "x", count: GRPCStatus.maximumMessageLength))
    }

    @Test("printable ASCII is sent as it is; control characters are encoded")
    func plain() {
        #expect(GRPCStatus(.notFound, "no customer cust_1").encodedMessage == "no customer cust_1")
        #expect(GRPCStatus(.notFound, "line\nbreak\u{7F}").encodedMessage == "line%0Abreak%7F")
        #expect(GRPCStatus(.notFound, "").encodedMessage == "")
    }
}
