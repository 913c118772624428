import C360Core
import C360Model
import Testing

@Suite struct EventJSONDecoderTests {
    private func decode(_ line: String) -> Result<C360_V1_Event, C360Error> {
        do throws(C360Error) {
            return .success(try EventJSONDecoder().decode(line: Array(line.utf8)))
        } catch {
            return .failure(error)
        }
    }

    private func reason(_ line: String) -> String {
        switch decode(line) {
        case .success: "accepted"
        case .failure(let error): error.description
        }
    }

    let valid = #"{"event_id":"e1","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"shop","order_placed":{"order_id":"o1","channel":"ORDER_CHANNEL_ONLINE","total":{"minor_units":"1999","currency":"GBP"},"items":[{"product_id":"p1","quantity":1}]}}"#

    @Test("a valid line decodes, with snake_case or camelCase names")
    func validLine() throws {
        let event = try decode(valid).get()
        #expect(event.orderPlaced.total.minorUnits == 1_999)
        let camel = #"{"eventId":"e1","customerId":"c1","occurredAt":"2026-03-01T10:00:00Z","source":"shop","emailEvent":{"campaignId":"c","type":"EMAIL_EVENT_TYPE_OPENED"}}"#
        #expect(try decode(camel).get().emailEvent.type == .opened)
    }

    @Test("malformed JSON is rejected as such")
    func malformed() {
        #expect(reason(#"{"event_id": "e1", "#).contains("malformed JSON"))
        #expect(reason("not json at all").contains("malformed JSON") || reason("not json at all").contains("not a valid event"))
    }

    @Test("an unknown event kind is rejected naming it")
    func unknownKind() {
        let line = #"{"event_id":"e1","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"x","coupon_redeemed":{}}"#
        #expect(reason(line).contains("coupon_redeemed"))
    }

    @Test("an unparseable timestamp is rejected naming occurred_at")
    func badTimestamp() {
        let line = valid.replacingOccurrences(of: "2026-03-01T10:00:00Z", with: "yesterday")
        #expect(reason(line).hasPrefix("occurred_at: unparseable timestamp"))
    }

    @Test("a missing event_id is rejected")
    func missingEventID() {
        let line = valid.replacingOccurrences(of: #""event_id":"e1","#, with: "")
        #expect(reason(line) == "event_id: is required")
    }

    @Test("a negative amount is rejected")
    func negativeAmount() {
        let line = valid.replacingOccurrences(of: #""1999""#, with: #""-5""#)
        #expect(reason(line).hasPrefix("order_placed.total.minor_units: must not be negative"))
    }

    @Test("an unknown enum value is rejected")
    func unknownEnum() {
        let line = valid.replacingOccurrences(of: "ORDER_CHANNEL_ONLINE", with: "ORDER_CHANNEL_TELEPATHY")
        #expect(reason(line).contains("unknown enum value"))
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
