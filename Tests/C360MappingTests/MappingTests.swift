import C360Codec
import C360Core
import C360Model
import Foundation
@testable import C360Mapping
import SwiftProtobuf
import Testing

@Suite struct MappingTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func example(_ name: String) throws -> Mapping {
        let text = try String(contentsOf: repository.appendingPathComponent("ops/mappings/\(name)"), encoding: .utf8)
        return try Mapping(yaml: text)
    }

    static func record(_ json: String) throws(C360Error) -> RecordValue {
        try RecordValue.json(Array(json.utf8))
    }

    static func failure(_ body: () throws(C360Error) -> Void) -> C360Error? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: The shop's PostgreSQL tables

    @Test("a customers row becomes a customer upsert: local time in the mapping's zone, tier through its table, consent from t/f")
    func shopCustomer() throws {
        let mapping = try Self.example("shop-postgres.yaml")
        let row = try Self.record(#"{"id": "42", "email": "zoe@example.com", "first_name": "Zoë", "last_name": null, "loyalty_tier": "gold", "loyalty_points": "1200", "email_opt_in": "t", "updated_at": "2026-07-01 09:30:00"}"#)
        let events = try mapping.events(from: row, metadata: ["_table": "customers", "_op": "update", "_lsn": "0/16B3748"])
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.eventID == "pg:customers:42:0/16B3748")
        #expect(event.customerID == "shop-42")
        #expect(event.occurredAt.seconds == 1_782_894_600) // 08:30 UTC: London is on summer time
        #expect(event.customerUpserted.firstName == "Zoë")
        #expect(!event.customerUpserted.hasLastName)
        #expect(event.customerUpserted.loyaltyTier == .gold)
        #expect(event.customerUpserted.loyaltyPoints == 1_200)
        #expect(event.customerUpserted.consent.emailMarketing)
    }

    @Test("an orders insert becomes an order placed with its jsonb lines, amounts exact; an update its status change; order lines and deletes are skipped with a reason")
    func shopOrders() throws {
        let mapping = try Self.example("shop-postgres.yaml")
        let row = try Self.record(#"{"id": "1001", "customer_id": "42", "channel": "web", "total": "85.98", "currency": "GBP", "placed_at": "2026-11-02 10:15:00.5+00", "items": "[{\"sku\": \"K-1\", \"name\": \"Kettle\", \"qty\": 2, \"unit_price\": 42.99}]"}"#)
        let placed = try #require(try mapping.events(from: row, metadata: ["_table": "orders", "_op": "insert", "_lsn": "0/1"]).first)
        #expect(placed.orderPlaced.total.minorUnits == 8_598)
        #expect(placed.orderPlaced.total.currency == "GBP")
        #expect(placed.orderPlaced.channel == .online)
        #expect(placed.orderPlaced.items.map(\.productID) == ["K-1"])
        #expect(placed.orderPlaced.items.first?.quantity == 2)
        #expect(placed.orderPlaced.items.first?.unitPrice.minorUnits == 4_299)
        #expect(placed.occurredAt.nanos == 500_000_000)

        let update = try Self.record(#"{"id": "1001", "customer_id": "42", "status": "returned", "refunded": "85.98", "currency": "GBP", "updated_at": "2026-11-05 08:00:00"}"#)
        let changed = try #require(try mapping.events(from: update, metadata: ["_table": "orders", "_op": "update", "_lsn": "0/2"]).first)
        #expect(changed.orderStatusChanged.status == .returned)
        #expect(changed.orderStatusChanged.refunded.minorUnits == 8_598)

        #expect(try mapping.events(from: try Self.record(#"{"order_id": "1001"}"#), metadata: ["_table": "order_lines", "_op": "insert"]).isEmpty)
        #expect(mapping.rule(for: try Self.record("{}"), metadata: ["_table": "order_lines"])?.skipReason?.contains("orders.items") == true)
        #expect(try mapping.events(from: try Self.record(#"{"id": "42"}"#), metadata: ["_table": "customers", "_op": "delete"]).isEmpty)
    }

    @Test("a support_tickets row becomes a ticket event")
    func shopTicket() throws {
        let mapping = try Self.example("shop-postgres.yaml")
        let row = try Self.record(#"{"id": "T-7", "customer_id": "42", "status": "escalated", "category": "delivery", "channel": "chat", "csat": null, "updated_at": "2026-11-03 12:00:00"}"#)
        let event = try #require(try mapping.events(from: row, metadata: ["_table": "support_tickets", "_op": "update", "_lsn": "0/3"]).first)
        #expect(event.ticketEvent.type == .escalated)
        #expect(event.ticketEvent.channel == .chat)
        #expect(event.ticketEvent.satisfactionScore == 0)
    }

    @Test("a row the mapping cannot turn into a valid event is refused naming the rule and the field", arguments: [
        (#"{"id": "1", "customer_id": "42", "channel": "web", "total": "85,98", "currency": "GBP", "placed_at": "2026-11-02 10:15:00+00"}"#, "order placed", "order_placed.total"),
        (#"{"id": "1", "customer_id": "42", "channel": "fax", "total": "85.98", "currency": "GBP", "placed_at": "2026-11-02 10:15:00+00"}"#, "order placed", "order_placed.channel"),
        (#"{"id": "1", "customer_id": "42", "channel": "web", "total": "85.98", "currency": "GBP"}"#, "order placed", "occurred_at"),
        (#"{"id": "1", "customer_id": "42", "channel": "web", "total": "85.98", "currency": "GBP", "placed_at": "2026-11-02 10:15:00+00", "items": "[{\"sku\": \"K\", \"qty\": 1.5, \"unit_price\": 1}]"}"#, "order placed", "order_placed.items[0].quantity"),
        (#"{"id": "1", "customer_id": "42", "channel": "web", "total": "85.98", "currency": "GBP", "placed_at": "2026-11-02 10:15:00+00", "items": "not json"}"#, "order placed", "order_placed.items"),
    ])
    func refusedRows(json: String, rule: String, field: String) throws {
        let mapping = try Self.example("shop-postgres.yaml")
        let record = try Self.record(json)
        let error = Self.failure { () throws(C360Error) in _ = try mapping.events(from: record, metadata: ["_table": "orders", "_op": "insert", "_lsn": "0/1"]) }
        #expect(error?.message.contains("rule \"\(rule)\"") == true, "\(error?.message ?? "accepted")")
        #expect(error?.field == field, "\(error?.message ?? "accepted")")
    }

    @Test("a record no rule takes is refused, not skipped")
    func unmatched() throws {
        let mapping = try Self.example("shop-postgres.yaml")
        let empty = try Self.record("{}")
        let error = Self.failure { () throws(C360Error) in _ = try mapping.events(from: empty, metadata: ["_table": "payments", "_op": "insert"]) }
        #expect(error?.message.contains("no rule takes this record") == true)
    }

    // MARK: A storefront's JSON export

    @Test("a storefront order becomes an order placed and the customer's upsert; cancelled and refunded ones their status change; test orders are skipped")
    func storefront() throws {
        let mapping = try Self.example("storefront-orders.yaml")
        let order = #"{"id": 450789469, "email": "bob@example.com", "created_at": "2026-11-02T10:15:00-05:00", "updated_at": "2026-11-04T10:00:00-05:00", "currency": "USD", "total_price": "199.65", "source_name": "web", "financial_status": "paid", "cancelled_at": null, "test": false, "customer": {"id": 207119551, "first_name": "Bob", "accepts_marketing": true}, "line_items": [{"sku": "IPOD-342", "title": "iPod Nano", "quantity": 1, "price": "199.00"}, {"sku": "CASE-1", "quantity": 1, "price": "0.65"}]}"#
        let events = try mapping.events(from: try Self.record(order))
        #expect(events.count == 2)
        #expect(events[0].eventID == "storefront:450789469")
        #expect(events[0].customerID == "sf-207119551")
        #expect(events[0].identities.first?.value == "bob@example.com")
        #expect(events[0].occurredAt.seconds == 1_793_632_500) // 15:15 UTC
        #expect(events[0].orderPlaced.total.minorUnits == 19_965)
        #expect(events[0].orderPlaced.items.map(\.unitPrice.minorUnits) == [19_900, 65])
        #expect(events[1].customerUpserted.consent.emailMarketing)

        let refunded = order.replacingOccurrences(of: #""financial_status": "paid""#, with: #""financial_status": "refunded""#)
        let refund = try mapping.events(from: try Self.record(refunded))
        #expect(refund.map(\.orderStatusChanged.status) == [.returned])
        #expect(refund.first?.orderStatusChanged.refunded.minorUnits == 19_965)

        let cancelled = order.replacingOccurrences(of: #""cancelled_at": null"#, with: #""cancelled_at": "2026-11-03T09:00:00Z""#)
        #expect(try mapping.events(from: try Self.record(cancelled)).map(\.orderStatusChanged.status) == [.cancelled])

        let test = order.replacingOccurrences(of: #""test": false"#, with: #""test": true"#)
        #expect(try mapping.events(from: try Self.record(test)).isEmpty)

        let marketplace = order.replacingOccurrences(of: #""source_name": "web""#, with: #""source_name": "123456""#)
        #expect(try mapping.events(from: try Self.record(marketplace)).first?.orderPlaced.channel == .marketplace)
    }

    // MARK: Mistakes in a mapping

    @Test("a bad mapping is refused when it is read, naming the rule, the key and the line", arguments: [
        ("rules:\n  - event: {}\n", "needs a name"),
        ("mapping: m\nrules: []\n", "at least one rule"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      order_placed:\n        totl: 1\n", "totl is not a field of OrderPlaced"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      order_placed:\n        channel: ONLINE\n", "\"ONLINE\" is not one of ORDER_CHANNEL_ONLINE"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      occurred_at: {field: t}\n      source: s\n      web_event: {page: x}\n", "an event needs event_id"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      web_event: {page: x}\n", "an event needs source"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n", "an event needs its kind"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      web_event: {page: x}\n      email_event: {campaign_id: y}\n", "one kind"),
        ("mapping: m\ntime_zone: Mars/Olympus\nrules:\n  - name: r\n    skip: no\n", "not a time zone"),
        ("mapping: m\nrules:\n  - name: r\n    skip: no\n    colour: red\n", "unknown key colour"),
        ("mapping: m\nrules:\n  - name: r\n    skip: no\n  - name: r\n    skip: again\n", "two rules are named"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: \"{id\"\n      occurred_at: {field: t}\n      source: s\n      web_event: {page: x}\n", "is not closed"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      order_placed:\n        total: {field: total}\n", "it needs amount"),
        ("mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      ticket_event:\n        satisfaction_score: five\n", "not a whole number"),
        ("mapping: m\nrules:\n  - name: r\n    when: {a: {maybe: 1}}\n    skip: no\n", "a condition is"),
        ("mapping: [\n", "not valid YAML"),
    ])
    func badMappings(yaml: String, expected: String) {
        let error = Self.failure { () throws(C360Error) in _ = try Mapping(yaml: yaml) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "accepted")")
    }

    @Test("errors in a rule name the line of the mapping file")
    func lineNumbers() {
        let error = Self.failure { () throws(C360Error) in
            _ = try Mapping(yaml: "mapping: m\nrules:\n  - name: first\n    skip: no\n  - name: second\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      web_event: {pgae: x}\n")
        }
        #expect(error?.message.hasPrefix("line 10: rule \"second\"") == true, "\(error?.message ?? "accepted")")
    }

    @Test("every field's number and kind, and every enum value's number, the mapping schema knows are the generated event's")
    func schemaMatchesTheProto() throws {
        // Each leaf written alone by its number and kind, as the mapping writes it, must come out
        // of the generated code's JSON under the field's names with the value written.
        typealias Leaf = (write: (inout ProtobufWireWriter, Int) -> Void, json: String)
        func leaves(_ kind: MessageSchema.Kind) -> [Leaf] {
            switch kind {
            case .string: [({ $0.stringField($1, "x") }, #""x""#)]
            case .integer: [({ $0.int64Field($1, -7) }, #""-7""#)]
            case .integer32: [({ $0.int64Field($1, -7) }, "-7")]
            case .bool: [({ $0.boolField($1, true) }, "true")]
            case .timestamp:
                [({ wire, number in
                    let start = wire.beginMessage(number)
                    wire.int64Field(1, 1_764_478_862)
                    wire.int64Field(2, 250_000_000)
                    wire.endMessage(start)
                }, #""2025-11-30T05:01:02.250Z""#)]
            case .money:
                [({ wire, number in
                    let start = wire.beginMessage(number)
                    wire.int64Field(1, 250)
                    wire.stringField(2, "GBP")
                    wire.endMessage(start)
                }, #"{"minor_units":"250","currency":"GBP"}"#)]
            case .enumeration(let names):
                names.enumerated().map { index, name in ({ $0.int64Field($1, Int64(index + 1)) }, "\"\(name)\"") }
            case .message(let schema):
                schema.fields.flatMap { field in
                    leaves(field.kind).map { leaf in
                        ({ wire, number in
                            let start = wire.beginMessage(number)
                            leaf.write(&wire, field.number)
                            wire.endMessage(start)
                        }, "{\"\(field.name)\":\(leaf.json)}")
                    }
                }
            case .repeated(let element):
                leaves(element).map { leaf in (leaf.write, "[\(leaf.json)]") }
            }
        }
        var checked = 0
        for field in MessageSchema.event.fields {
            for leaf in leaves(field.kind) {
                var wire = ProtobufWireWriter()
                leaf.write(&wire, field.number)
                let event = try C360_V1_Event(serializedBytes: wire.finish())
                var options = JSONEncodingOptions()
                options.preserveProtoFieldNames = true
                #expect(try event.jsonString(options: options) == "{\"\(field.name)\":\(leaf.json)}")
                checked += 1
            }
        }
        #expect(checked > 100)
    }
}

@Suite struct TextTemplateTests {
    @Test func fillsPlaceholdersAndNamesWhatIsMissing() throws {
        let template = try TextTemplate("shop-{id}:{{x}}")
        #expect(try template.render(.object(["id": .string("42")])) == "shop-42:{x}")
        #expect(template.fields.map(\.description) == ["id"])
        #expect(throws: C360Error.self) { try template.render(.object(["other": .string("1")])) }
        #expect(throws: C360Error.self) { try template.render(.object(["id": .null])) }
        #expect(throws: C360Error.self) { try TextTemplate("shop-{id") }
        #expect(throws: C360Error.self) { try TextTemplate("shop-}") }
    }
}
