import Foundation
import Testing

@Suite struct MappingCommandTests {
    static let mappings = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../ops/mappings").standardized.path

    @Test("mapping check and test: the shipped mappings are valid; a sample's events are printed; a refused record names the rule and the field and exits 1")
    func checkAndTest() async throws {
        try await withTemporaryDirectory { directory in
            for mapping in ["shop-postgres.yaml", "storefront-orders.yaml"] {
                let checked = try await C360Process.run(["mapping", "check", Self.mappings + "/" + mapping])
                #expect(checked.status == 0, "\(checked.stderr)")
            }
            let rows = directory + "/tickets.csv"
            try "id,customer_id,status,category,channel,csat,updated_at\nT-1,42,open,\"delivery, late\",chat,,2026-11-03 12:00:00\nT-1,42,closed,delivery,chat,5,2026-11-04 12:00:00\n"
                .write(toFile: rows, atomically: true, encoding: .utf8)
            let tested = try await C360Process.run([
                "mapping", "test", Self.mappings + "/shop-postgres.yaml", rows, "--set", "_table=support_tickets", "--set", "_op=insert", "--set", "_lsn=0/9",
            ])
            #expect(tested.status == 1)
            #expect(tested.stdout.contains(#""category":"delivery, late""#), "\(tested.stdout)")
            #expect(tested.stdout.contains(#"line 3: refused: mapping shop-postgres, rule "ticket", field ticket_event.type: "closed""#), "\(tested.stdout)")

            let bad = directory + "/bad.yaml"
            try "mapping: m\nrules:\n  - name: r\n    event:\n      event_id: x\n      occurred_at: {field: t}\n      source: s\n      web_event: {pgae: x}\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await C360Process.run(["mapping", "check", bad])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("line 8: rule \"r\": web_event.pgae is not a field of WebEvent"), "\(refused.stderr)")
        }
    }

    @Test("ingest --mapping appends a storefront export's orders; a record it cannot map is reported with its line, the rule and the field, and the rest is appended")
    func ingestWithMapping() async throws {
        try await withTemporaryDirectory { directory in
            let export = directory + "/orders.ndjson"
            let order = #"{"id": ID, "email": "bob@example.com", "created_at": "2026-11-02T10:15:00-05:00", "currency": "USD", "total_price": "TOTAL", "source_name": "web", "financial_status": "paid", "cancelled_at": null, "test": false, "customer": {"id": 7}, "line_items": []}"#
            let lines = [
                order.replacingOccurrences(of: "ID", with: "1").replacingOccurrences(of: "TOTAL", with: "10.50"),
                order.replacingOccurrences(of: "ID", with: "2").replacingOccurrences(of: "TOTAL", with: "ten"),
                order.replacingOccurrences(of: "ID", with: "3").replacingOccurrences(of: "TOTAL", with: "0.25"),
            ]
            try (lines.joined(separator: "\n") + "\n").write(toFile: export, atomically: true, encoding: .utf8)
            let data = directory + "/data"
            let ingested = try await C360Process.run(["ingest", "--mapping", Self.mappings + "/storefront-orders.yaml", export, "--data", data])
            #expect(ingested.status == 1)
            #expect(ingested.stderr.contains(#"orders.ndjson:2: order_placed.total: mapping storefront-orders, rule "order", event 1, field order_placed.total: "ten" is not a USD amount"#), "\(ingested.stderr)")
            #expect(ingested.stdout.contains("appended 4"), "\(ingested.stdout)")
            let profile = try await C360Process.run(["get", "sf-7", "--data", data])
            #expect(profile.status == 0)
            #expect(profile.stdout.contains(#""minor_units": "1075""#), "\(profile.stdout)")
        }
    }
}
