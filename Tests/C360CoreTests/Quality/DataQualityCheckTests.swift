import C360Core
import Testing

@Suite struct DataQualityCheckTests {
    static let now = Instant(secondsSinceEpoch: 1_793_491_200) // 2026-11-01

    static func upsert(_ id: String, customer: String, fields: String) -> String {
        #"{"event_id":"\#(id)","customer_id":"\#(customer)","occurred_at":"2026-10-01T00:00:00Z","source":"crm","customer_upserted":{\#(fields)}}"#
    }

    static func order(_ id: String, total: Int, unitPrice: Int = 100) -> String {
        #"{"event_id":"\#(id)","customer_id":"c1","occurred_at":"2026-10-01T00:00:00Z","source":"shop","order_placed":{"order_id":"o-\#(id)","channel":"ORDER_CHANNEL_ONLINE","items":[{"product_id":"p","quantity":1,"unit_price":{"minor_units":"\#(unitPrice)","currency":"GBP"}}],"total":{"minor_units":"\#(total)","currency":"GBP"}}}"#
    }

    @Test("each rule counts its violations and keeps the first examples with line numbers")
    func rules() {
        let lines = [
            Self.upsert("e1", customer: "c1", fields: #""email":"ada@example.com","date_of_birth":"1990-01-01""#),
            Self.upsert("e2", customer: "c2", fields: #""email":"ADA@example.com""#),             // duplicate customer
            Self.upsert("e3", customer: "c3", fields: #""email":"not-an-email""#),                // bad email
            Self.upsert("e4", customer: "c4", fields: #""email":"""#),                            // empty email
            Self.upsert("e5", customer: "c5", fields: #""date_of_birth":"2030-01-01""#),          // future birth
            Self.upsert("e6", customer: "c6", fields: #""date_of_birth":"2023-02-29""#),          // impossible date
            Self.order("e7", total: 0),                                                          // zero total
            Self.order("e8", total: 500, unitPrice: -1),                                          // negative unit price
            Self.order("e1", total: 100),                                                        // duplicate event id
            #"{"event_id":"e9","occurred_at":"2026-10-01T00:00:00Z","source":"web","web_event":{"type":"WEB_EVENT_TYPE_PAGE_VIEW"}}"#,
            #"{"event_id":"e10","customer_id":"c1","occurred_at":"2031-01-01T00:00:00Z","source":"web","web_event":{"type":"WEB_EVENT_TYPE_PAGE_VIEW"}}"#,
            #"{"event_id": "#,
            #"{"event_id":"e11","customer_id":"c1","occurred_at":"2026-10-01T00:00:00Z","source":"web","bogus":1}"#,
        ]
        var check = DataQualityCheck(now: Self.now)
        check.examplesKept = 1
        for (index, line) in lines.enumerated() {
            check.check(line: Array(line.utf8), at: UInt64(index + 1))
        }
        let report = check.report
        #expect(report.lines == 13)
        #expect(report.count(.duplicateCustomer) == 1)
        #expect(report.count(.badEmail) == 2)
        #expect(report.count(.impossibleDate) == 3)
        #expect(report.count(.nonPositiveAmount) == 2)
        #expect(report.count(.duplicateEventID) == 1)
        #expect(report.count(.missingCustomerID) == 1)
        #expect(report.count(.malformed) == 2)
        let duplicate = report.findings.first { $0.rule == .duplicateCustomer }?.examples.first
        #expect(duplicate?.line == 2)
        #expect(duplicate?.detail == "c2 upserts the email of c1")
        #expect(report.findings.allSatisfy { $0.examples.count <= 1 })
        #expect(report.findings.first { $0.rule == .duplicateEventID }?.examples.first?.line == 9)
    }

    @Test("a clean file has no violations; an anonymous visitor's event is not one")
    func clean() {
        var check = DataQualityCheck(now: Self.now)
        check.check(line: Array(#"{"event_id":"a1","identities":[{"type":"IDENTITY_TYPE_COOKIE_ID","value":"ck"}],"occurred_at":"2026-10-01T00:00:00Z","source":"web","web_event":{"type":"WEB_EVENT_TYPE_PAGE_VIEW"}}"#.utf8), at: 3)
        check.check(line: Array(Self.upsert("e1", customer: "c1", fields: #""email":"a@example.com""#).utf8), at: 1)
        check.check(line: Array(Self.order("e2", total: 100).utf8), at: 2)
        #expect(check.report.violations == 0)
    }
}
