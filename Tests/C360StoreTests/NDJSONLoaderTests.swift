import C360Core
import C360Store
import Foundation
import Testing
import C360Model

@Suite struct NDJSONLoaderTests {
    static let good = #"{"event_id":"g%d","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"web","web_event":{"type":"WEB_EVENT_TYPE_PAGE_VIEW","session_id":"s"}}"#

    @Test("each kind of bad line is rejected with its line number and reason, and the rest is ingested")
    func badLines() async throws {
        try await withTemporaryDirectory { directory in
            let lines = [
                String(format: Self.good, 1),
                #"{"event_id":"b2","customer_id":"c1","#,                                                                       // 2 malformed JSON
                #"{"event_id":"b3","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"x","coupon_used":{}}"#,  // 3 unknown kind
                #"{"customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"x","email_event":{"campaign_id":"k","type":"EMAIL_EVENT_TYPE_SENT"}}"#, // 4 no event_id
                #"{"event_id":"b5","occurred_at":"2026-03-01T10:00:00Z","source":"x","email_event":{"campaign_id":"k","type":"EMAIL_EVENT_TYPE_SENT"}}"#, // 5 no customer
                #"{"event_id":"b6","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"x","order_placed":{"order_id":"o","channel":"ORDER_CHANNEL_ONLINE","total":{"minor_units":"100","currency":"GBP"},"items":[{"product_id":"p","quantity":-1}]}}"#, // 6 negative quantity
                #"{"event_id":"b7","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"x","order_placed":{"order_id":"o","channel":"ORDER_CHANNEL_ONLINE","total":{"minor_units":"-100","currency":"GBP"}}}"#, // 7 negative amount
                #"{"event_id":"b8","customer_id":"c1","occurred_at":"last tuesday","source":"x","email_event":{"campaign_id":"k","type":"EMAIL_EVENT_TYPE_SENT"}}"#, // 8 bad timestamp
                "",                                                                                                              // 9 blank: skipped
                String(format: Self.good, 10),
                String(format: Self.good, 1),                                                                                    // 11 duplicate of line 1
            ]
            let file = directory + ".ndjson"
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }

            let store = try EventStore(directory: directory)
            var summary = NDJSONLoader.Summary()
            var rejections: [NDJSONLoader.Rejection] = []
            try await NDJSONLoader().load(file: file, into: store, summary: &summary, onRejection: { rejections.append($0) }, onProgress: { _ in })

            #expect(summary.appended == 2)
            #expect(summary.duplicates == 1)
            #expect(summary.rejected == 7)
            #expect(summary.lines == 11)
            let byLine = Dictionary(uniqueKeysWithValues: rejections.map { ($0.line, $0.error.description) })
            #expect(byLine.keys.sorted() == [2, 3, 4, 5, 6, 7, 8])
            #expect(byLine[2]?.contains("malformed JSON") == true)
            #expect(byLine[3]?.contains("coupon_used") == true)
            #expect(byLine[4] == "event_id: is required")
            #expect(byLine[5]?.hasPrefix("customer_id:") == true)
            #expect(byLine[6]?.hasPrefix("order_placed.items[0].quantity:") == true)
            #expect(byLine[7]?.hasPrefix("order_placed.total.minor_units: must not be negative") == true)
            #expect(byLine[8]?.hasPrefix("occurred_at: unparseable timestamp") == true)
            #expect(try store.timeline(customerID: "c1").map(\.event.eventID) == ["g10", "g1"])
        }
    }

    /// A customer with 3,000 tickets, each opened and then resolved at the same instant on the next
    /// line: only the log's order, which must be the file's, says that every ticket ended resolved.
    @Test("ingest appends a file's events in the file's order, whatever the batch size", arguments: [(1, 1), (7, 3), (1_000, 20)])
    func fileOrderKept(batchSize: Int, runs: Int) async throws {
        let lines = (0..<3_000).flatMap { ticket in
            ["OPENED", "RESOLVED"].map { type in
                #"{"event_id":"t\#(ticket)-\#(type)","customer_id":"c1","occurred_at":"2026-03-01T10:00:00Z","source":"helpdesk","ticket_event":{"ticket_id":"t\#(ticket)","type":"TICKET_EVENT_TYPE_\#(type)"}}"#
            }
        }
        let fileOrder = lines.indices.map { "t\($0 / 2)-\($0 % 2 == 0 ? "OPENED" : "RESOLVED")" }
        for run in 0..<runs {
            try await withTemporaryDirectory { directory in
                let file = directory + ".ndjson"
                try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: file) }
                var configuration = StoreConfiguration()
                // The order of appends is what is tested, not their durability: no fsync per batch.
                configuration.walSync = .none
                let store = try EventStore(directory: directory, configuration: configuration)
                defer { store.close() }
                var loader = NDJSONLoader()
                loader.batchSize = batchSize
                var summary = NDJSONLoader.Summary()
                try await loader.load(file: file, into: store, summary: &summary, onRejection: { _ in }, onProgress: { _ in })
                #expect(summary.appended == 6_000)

                let logOrder = try store.timeline(customerID: "c1", limit: 10_000).sorted { $0.seq < $1.seq }.map(\.event.eventID)
                let firstDifference = logOrder.indices.first { $0 >= fileOrder.count || logOrder[$0] != fileOrder[$0] }
                #expect(logOrder.count == fileOrder.count)
                #expect(firstDifference == nil, "run \(run): log position \(firstDifference.map { $0 + 1 } ?? 0) holds \(firstDifference.map { logOrder[$0] } ?? ""), line \(firstDifference.map { $0 + 1 } ?? 0) of the file \(firstDifference.map { fileOrder[$0] } ?? "")")
                #expect(try store.profile(customerID: "c1").support.openTickets == 0, "run \(run)")
            }
        }
    }

    @Test("a final line without a newline is read, and CRLF line ends are accepted")
    func lineEnds() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + ".ndjson"
            try (String(format: Self.good, 1) + "\r\n" + String(format: Self.good, 2)).write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let store = try EventStore(directory: directory)
            var summary = NDJSONLoader.Summary()
            try await NDJSONLoader().load(file: file, into: store, summary: &summary, onRejection: { _ in }, onProgress: { _ in })
            #expect(summary.appended == 2)
            #expect(summary.rejected == 0)
        }
    }
}
