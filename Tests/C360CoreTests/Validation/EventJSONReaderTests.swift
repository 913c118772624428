import C360Core
import C360Generator
import C360Model
import Foundation
import SwiftProtobuf
import Testing

/// `EventJSONReader` must read exactly what SwiftProtobuf reads, or leave the line to it.
@Suite struct EventJSONReaderTests {
    private static func read(_ line: [UInt8]) -> C360_V1_Event? {
        line.withUnsafeBytes { EventJSONReader.event($0) }
    }

    private static func read(_ line: String) -> C360_V1_Event? { read(Array(line.utf8)) }

    private static func swiftProtobuf(_ line: [UInt8]) -> C360_V1_Event? {
        try? C360_V1_Event(jsonUTF8Bytes: line)
    }

    private static func generated(_ count: Int) -> [C360_V1_Event] {
        var events: [C360_V1_Event] = []
        SyntheticDataGenerator(customers: 300, events: count, seed: 53).generate { events.append($0) }
        return events
    }

    private static func json(_ event: C360_V1_Event, protoNames: Bool) throws -> [UInt8] {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = protoNames
        return Array(try event.jsonString(options: options).utf8)
    }

    @Test("every generated event is read as SwiftProtobuf reads it, with the .proto's names or the JSON names")
    func generatedEvents() throws {
        var kinds: Set<String> = []
        for event in Self.generated(4_000) {
            for protoNames in [true, false] {
                let line = try Self.json(event, protoNames: protoNames)
                let read = try #require(Self.read(line), "\(String(decoding: line, as: UTF8.self))")
                #expect(read == event)
                #expect(read == Self.swiftProtobuf(line))
            }
            kinds.insert(event.payload.map { "\($0)".prefix { $0 != "(" } }.map(String.init) ?? "none")
        }
        // The data set has every kind of payload but identity links, which the generator does not
        // write (`readShapes` has them), so that each reader above was used.
        #expect(kinds == ["customerUpserted", "orderPlaced", "orderStatusChanged", "webEvent", "emailEvent", "ticketEvent"])
    }

    @Test("a line changed at random is either left to SwiftProtobuf or read as it reads it")
    func randomChanges() throws {
        var random = SeededRandom(seed: 61)
        let lines = try Self.generated(600).flatMap { [try Self.json($0, protoNames: true), try Self.json($0, protoNames: false)] }
        let significant = Array(#"{}[]:,"\ -.eE0123456789tfnulZT+"#.utf8) + [0x09, 0x0A, 0x00, 0x1F, 0xC3, 0xFF]
        var read = 0
        var declined = 0
        for round in 0..<30_000 {
            var line = lines[round % lines.count]
            for _ in 0...(round % 3) {
                let at = Int(random.next() % UInt64(line.count))
                switch random.next() % 4 {
                case 0: line.remove(at: at)
                case 1: line.insert(significant[Int(random.next() % UInt64(significant.count))], at: at)
                case 2: line[at] = significant[Int(random.next() % UInt64(significant.count))]
                default: line.insert(line[at], at: at)
                }
            }
            guard let event = Self.read(line) else {
                declined += 1
                continue
            }
            read += 1
            #expect(event == Self.swiftProtobuf(line), "\(String(decoding: line, as: UTF8.self))")
        }
        // Both outcomes happen, so that the comparison above is not vacuous.
        #expect(read > 1_000)
        #expect(declined > 1_000)
    }

    /// An event with one of each field around `payload`, as a line with the .proto's names.
    private static func line(_ payload: String, occurredAt: String = #""2026-03-01T10:00:00Z""#) -> String {
        #"{"event_id":"e1","customer_id":"c1","identities":[{"type":"IDENTITY_TYPE_EMAIL","value":"a@b.c"}],"occurred_at":\#(occurredAt),"source":"s",\#(payload)}"#
    }

    @Test("shapes it reads, each as SwiftProtobuf reads it", arguments: [
        line(#""web_event":{}"#),
        line(#""web_event":{"type":"WEB_EVENT_TYPE_ERROR","error_message":"é ü 漢字 🙂","device":""}"#),
        " \t" + line(#""email_event" : { "campaign_id" : "c" , "items" : [ "a" , "b" ] }"#) + " \r\n",
        line(#""order_placed":{"items":[],"total":{"minor_units":"-9223372036854775808","currency":"GBP"}}"#),
        line(#""order_placed":{"items":[{"quantity":2147483647,"unit_price":{"minor_units":9223372036854775807}}],"total":{}}"#),
        line(#""order_placed":{"items":[{"quantity":-2147483648}],"total":{"minor_units":0}}"#),
        line(#""order_status_changed":{"status":"ORDER_STATUS_RETURNED","refunded":{"minor_units":"0"}}"#),
        line(#""ticket_event":{"type":"TICKET_EVENT_TYPE_REOPENED","channel":"TICKET_CHANNEL_EMAIL","satisfaction_score":0}"#),
        line(#""customer_upserted":{"first_name":"","loyalty_points":"0","address":{},"consent":{"sms_marketing":false,"personalisation":true}}"#),
        line(#""identity_linked":{"identity":{}}"#),
        line(#""identity_unlinked":{"identity":{"type":"IDENTITY_TYPE_LOYALTY_ID","value":"L1"}}"#),
        line(#""web_event":{}"#, occurredAt: #""2024-02-29T23:59:59.1Z""#),
        line(#""web_event":{}"#, occurredAt: #""0001-01-01T00:00:00.12Z""#),
        line(#""web_event":{}"#, occurredAt: #""9999-12-31T23:59:59.999999999Z""#),
        line(#""web_event":{}"#, occurredAt: #""1969-12-31T23:59:59.5Z""#),
        line(#""web_event":{}"#, occurredAt: #""2000-02-29T12:00:00.1234Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-12-06T06:00:00.12345Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-12-06T06:00:00.123456Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-12-06T06:00:00.1234567Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-12-06T06:00:00.12345678Z""#),
        #"{"eventId":"e1","occurredAt":"2026-03-01T10:00:00.250Z","orderPlaced":{"orderId":"o","storeId":"s","items":[{"productId":"p","unitPrice":{"minorUnits":"5"}}]}}"#,
        "{}",
    ])
    func readShapes(_ line: String) throws {
        let bytes = Array(line.utf8)
        let read = try #require(Self.read(bytes))
        #expect(read == Self.swiftProtobuf(bytes))
    }

    @Test("shapes it leaves to SwiftProtobuf", arguments: [
        line(#""web_event":{"page":"a\"b"}"#),
        line(#""web_event":{"page":"a\u0041"}"#),
        line(#""web_event":{"page":null}"#),
        line(#""web_event":null"#),
        line(#""web_event":{"type":7}"#),
        line(#""web_event":{"type":"WEB_EVENT_TYPE_NOPE"}"#),
        line(#""ticket_event":{"satisfaction_score":"3"}"#),
        line(#""ticket_event":{"satisfaction_score":3.0}"#),
        line(#""ticket_event":{"satisfaction_score":1e1}"#),
        line(#""ticket_event":{"satisfaction_score":-0}"#),
        line(#""ticket_event":{"satisfaction_score":03}"#),
        line(#""ticket_event":{"satisfaction_score":2147483648}"#),
        line(#""order_placed":{"total":{"minor_units":"9223372036854775808"}}"#),
        line(#""order_placed":{"total":{"minor_units":" 1"}}"#),
        line(#""customer_upserted":{"consent":{"personalisation":"true"}}"#),
        line(#""web_event":{},"email_event":{}"#),
        line(#""web_event":{"page":"a","page":"b"}"#),
        line(#""web_event":{"product_id":"a","productId":"b"}"#),
        line(#""web_event":{"colour":"red"}"#),
        line(#""web_event":{}"#, occurredAt: #""2026-03-01T10:00:00+01:00""#),
        line(#""web_event":{}"#, occurredAt: #""2026-03-01t10:00:00z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-03-01T10:00:00.1234567891Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-03-01T10:00:00.Z""#),
        line(#""web_event":{}"#, occurredAt: #""2023-02-29T10:00:00Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-04-31T10:00:00Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-03-01T24:00:00Z""#),
        line(#""web_event":{}"#, occurredAt: #""2026-03-01T10:00:60Z""#),
        line(#""web_event":{}"#, occurredAt: #""0000-03-01T10:00:00Z""#),
        line(#""web_event":{}"#, occurredAt: #"{"seconds":1}"#),
        line(#""web_event":{}"#) + "x",
        line(#""web_event":{}"#) + "{}",
        #"{"event_id":"e1",}"#,
        #"{"event_id":"e1""#,
        "[]",
        "",
    ])
    func declinedShapes(_ line: String) {
        #expect(Self.read(line) == nil)
    }

    @Test("every value of every enum is read by its name as SwiftProtobuf reads it")
    func enumNames() throws {
        var lines: [String] = []
        for type in C360_V1_IdentityType.allCases {
            var event = C360_V1_Event()
            event.identities = [.init(type: type, value: "v")]
            lines.append(try event.jsonString())
        }
        for gender in C360_V1_Gender.allCases {
            var customer = C360_V1_CustomerUpserted()
            customer.gender = gender
            for tier in C360_V1_LoyaltyTier.allCases {
                customer.loyaltyTier = tier
                var event = C360_V1_Event()
                event.customerUpserted = customer
                lines.append(try event.jsonString())
            }
        }
        for channel in C360_V1_OrderChannel.allCases {
            for status in C360_V1_OrderStatus.allCases {
                var event = C360_V1_Event()
                event.orderPlaced.channel = channel
                event.orderPlaced.status = status
                lines.append(try event.jsonString())
            }
        }
        for type in C360_V1_WebEventType.allCases {
            var event = C360_V1_Event()
            event.webEvent.type = type
            lines.append(try event.jsonString())
        }
        for type in C360_V1_EmailEventType.allCases {
            var event = C360_V1_Event()
            event.emailEvent.type = type
            lines.append(try event.jsonString())
        }
        for type in C360_V1_TicketEventType.allCases {
            for channel in C360_V1_TicketChannel.allCases {
                var event = C360_V1_Event()
                event.ticketEvent.type = type
                event.ticketEvent.channel = channel
                lines.append(try event.jsonString())
            }
        }
        // The default value is left out of JSON, so also each name written out in full.
        lines.append(Self.line(#""web_event":{"type":"WEB_EVENT_TYPE_UNSPECIFIED"}"#))
        for line in lines {
            let bytes = Array(line.utf8)
            let read = try #require(Self.read(bytes), "\(line)")
            #expect(read == Self.swiftProtobuf(bytes), "\(line)")
        }
    }

    @Test("the decoder gives the same events and the same errors whichever reads the line")
    func decoderUnchanged() throws {
        let decoder = EventJSONDecoder()
        let line = Self.line(#""web_event":{"session_id":"s1","type":"WEB_EVENT_TYPE_PAGE_VIEW","page":"/"}"#)
        #expect(try decoder.decode(line: Array(line.utf8)) == Self.swiftProtobuf(Array(line.utf8)))
        // Left to SwiftProtobuf by an escape, read the same.
        let escaped = line.replacingOccurrences(of: #""/""#, with: #""\/""#)
        #expect(Self.read(escaped) == nil)
        #expect(try decoder.decode(line: Array(escaped.utf8)) == Self.swiftProtobuf(Array(line.utf8)))
        // An unknown field is still reported by name.
        do {
            _ = try decoder.decode(line: Array(Self.line(#""web_event":{},"colour":"red""#).utf8))
            Issue.record("an unknown field was accepted")
        } catch {
            #expect(error.description.contains("colour"))
        }
    }
}
