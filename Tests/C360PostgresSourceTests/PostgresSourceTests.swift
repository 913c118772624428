import C360Core
import C360Mapping
@testable import C360PostgresSource
import C360Store
import Foundation
import PostgreSQL
import Synchronization
import Testing
import C360Model

/// A shop's PostgreSQL followed by a source into a real store: the snapshot, then streaming,
/// each change applied once, across a restart of the source.
@Suite(.serialized) struct PostgresSourceTests {
    static let schema = """
        CREATE TABLE customers (id int PRIMARY KEY, email text, first_name text, last_name text, phone text, loyalty_tier text,
                                loyalty_points int, signup_date text, email_opt_in boolean, updated_at timestamp NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, channel text NOT NULL, store_id text, total numeric(12,2) NOT NULL,
                             currency text NOT NULL, status text NOT NULL DEFAULT 'placed', refunded numeric(12,2), items jsonb,
                             placed_at timestamptz NOT NULL, updated_at timestamp NOT NULL);
        CREATE TABLE support_tickets (id text PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, category text, channel text,
                                      csat int, updated_at timestamp NOT NULL);
        INSERT INTO customers VALUES (1, 'ann@example.com', 'Ann', 'Lee', NULL, 'gold', 120, '2026-01-02', true, '2026-11-01 09:00:00'),
                                     (2, 'bo@example.com', 'Bo', NULL, NULL, NULL, NULL, NULL, false, '2026-11-01 09:00:00');
        INSERT INTO orders VALUES (100, 1, 'web', NULL, 85.98, 'GBP', 'placed', NULL, '[{"sku": "K-1", "qty": 2, "unit_price": 42.99}]', '2026-11-02 10:00:00+00', '2026-11-02 10:00:00'),
                                  (101, 2, 'store', 'S-9', 12.50, 'GBP', 'cancelled', NULL, '[]', '2026-11-03 10:00:00+00', '2026-11-04 10:00:00');
        INSERT INTO support_tickets VALUES ('T-1', 1, 'open', 'delivery', 'chat', NULL, '2026-11-05 10:00:00');
        """

    static func settings(_ server: PostgresServer) throws -> PostgresSourceSettings {
        let mapping = try Mapping(yaml: try String(contentsOf: MappingLocation.shop, encoding: .utf8))
        return PostgresSourceSettings(name: "shop-db", connection: server.connection("shop"), tables: ["customers", "orders", "support_tickets"], mapping: mapping)
    }

    /// Runs `source` on a thread of its own until `condition` holds of its status (or 30 s pass).
    static func run(_ source: PostgresSource, until condition: @escaping @Sendable (PostgresSource.Status) -> Bool) async throws -> Thread {
        let thread = Thread { try? source.run() }
        thread.start()
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition(source.status), ContinuousClock.now < deadline {
            if case .stopped(let error) = source.status.phase { throw C360Error(.unavailable, "the source stopped: \(error ?? "")") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return thread
    }

    /// A source on `settings` into `store`, started and streaming, with its thread.
    static func streaming(_ settings: PostgresSourceSettings, into store: EventStore) async throws -> (PostgresSource, Thread) {
        let source = PostgresSource(settings: settings, store: store)
        return (source, try await run(source) { $0.phase == .streaming })
    }

    /// A PostgreSQL server holding the shop's tables, and an empty store beside it.
    static func withShop(_ body: (PostgresServer, EventStore) async throws -> Void) async throws {
        try await withPostgres { server in
            try server.sql("CREATE DATABASE shop")
            try server.sql(schema, database: "shop")
            try await withTemporaryDirectory { directory in
                let store = try EventStore(directory: directory)
                defer { store.close() }
                try await body(server, store)
            }
        }
    }

    static func stop(_ source: PostgresSource, _ thread: Thread) async throws {
        source.stop()
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("the snapshot, then streamed inserts and updates, become the customers' events; a restarted source resumes where it stopped and applies each change once")
    func snapshotThenStream() async throws {
        try await Self.withShop { server, store in
            let settings = try Self.settings(server)
            var source = PostgresSource(settings: settings, store: store)
            var thread = try await Self.run(source) { $0.phase == .streaming }
            #expect(source.status.snapshotRows == 5)
            let ann = try store.profile(customerID: "shop-1")
            #expect(ann.details.firstName == "Ann")
            #expect(ann.purchases.lifetimeValue.first?.minorUnits == 8_598)
            // Order 101 was cancelled before the snapshot: placed and cancelled, nothing to its value.
            #expect(try store.profile(customerID: "shop-2").purchases.lifetimeValue.first?.minorUnits ?? 0 == 0)

            // Streamed: a new order, an order shipped, a ticket resolved, in two transactions.
            try server.sql("""
                INSERT INTO orders VALUES (102, 1, 'app', NULL, 10.00, 'GBP', 'placed', NULL, '[]', '2026-11-06 10:00:00+00', '2026-11-06 10:00:00');
                UPDATE orders SET status = 'shipped', updated_at = '2026-11-07 10:00:00' WHERE id = 100;
                """, database: "shop")
            try server.sql("UPDATE support_tickets SET status = 'resolved', csat = 5, updated_at = '2026-11-08 10:00:00' WHERE id = 'T-1'", database: "shop")
            while source.status.transactionsApplied < 2 { try await Task.sleep(for: .milliseconds(20)) }
            let streamed = try store.profile(customerID: "shop-1")
            #expect(streamed.purchases.lifetimeValue.first?.minorUnits == 9_598)
            #expect(streamed.support.openTickets == 0)

            // Stopped, changed meanwhile, started again: it resumes at its stored position.
            try await Self.stop(source, thread)
            try server.sql("UPDATE customers SET first_name = 'Anne', updated_at = '2026-11-09 10:00:00' WHERE id = 1", database: "shop")
            try await server.waitUntilSlotsReleased()
            source = PostgresSource(settings: settings, store: store)
            thread = try await Self.run(source) { $0.transactionsApplied >= 1 }
            #expect(try store.profile(customerID: "shop-1").details.firstName == "Anne")
            try await Self.stop(source, thread)

            var seen: [String: Int] = [:]
            try store.forEachStoredEvent { _, event in seen[event.eventID, default: 0] += 1 }
            #expect(seen.values.allSatisfy { $0 == 1 })
            // The snapshot's 2 customers, 2 orders placed and their 2 status changes and 1 ticket;
            // then an order, a shipment, a ticket resolved and a customer's new name.
            let expected = 7 + 4
            #expect(seen.count == expected, "\(seen.keys.sorted())")
        }
    }

    @Test("a second source under the same name, while the first streams, fails naming the replication slot the first holds")
    func aHeldSlotIsNamed() async throws {
        try await Self.withShop { server, store in
            let settings = try Self.settings(server)
            let (first, thread) = try await Self.streaming(settings, into: store)
            let second = PostgresSource(settings: settings, store: store)
            do {
                let secondThread = try await Self.run(second) { $0.phase == .streaming && $0.transactionsApplied > 0 }
                try await Self.stop(second, secondThread)
                Issue.record("a second source ran on the slot the first holds")
            } catch {
                #expect("\(error)".contains("replication slot \(settings.slot) is in use by another connection"), "\(error)")
            }
            try await Self.stop(first, thread)
        }
    }

    @Test("a record the mapping refuses stops the source naming the table and the value, nothing skipped")
    func stopsOnWhatItCannotMap() async throws {
        try await Self.withShop { server, store in
            let (source, thread) = try await Self.streaming(try Self.settings(server), into: store)
            let before = try store.sourcePosition("shop-db")
            try server.sql("INSERT INTO support_tickets VALUES ('T-2', 1, 'closed', NULL, NULL, NULL, '2026-11-05 10:00:00')", database: "shop")
            while !thread.isFinished { try await Task.sleep(for: .milliseconds(20)) }
            guard case .stopped(let error) = source.status.phase else { Issue.record("still running"); return }
            #expect(error?.contains("support_tickets") == true && error?.contains("\"closed\"") == true, "\(error ?? "")")
            #expect(try store.sourcePosition("shop-db") == before)
        }
    }

    @Test("a dropped column the mapping reads stops the source naming the table and column, nothing skipped; a new column is ignored")
    func stopsOnADroppedColumn() async throws {
        try await Self.withShop { server, store in
            let (source, thread) = try await Self.streaming(try Self.settings(server), into: store)
            try server.sql("ALTER TABLE support_tickets ADD COLUMN priority int; UPDATE support_tickets SET status = 'escalated', priority = 1, updated_at = '2026-11-06 10:00:00'", database: "shop")
            while source.status.transactionsApplied < 1 { try await Task.sleep(for: .milliseconds(20)) }
            let applied = try store.sourcePosition("shop-db")
            try server.sql("ALTER TABLE support_tickets DROP COLUMN category; UPDATE support_tickets SET status = 'resolved', updated_at = '2026-11-07 10:00:00'", database: "shop")
            while !thread.isFinished { try await Task.sleep(for: .milliseconds(20)) }
            guard case .stopped(let error) = source.status.phase else { Issue.record("still running"); return }
            #expect(error?.contains("column category of support_tickets") == true, "\(error ?? "")")
            #expect(try store.sourcePosition("shop-db") == applied)
        }
    }

    @Test(
        "a mapped column renamed or given another type stops the source naming the table and column, nothing skipped; started again with the mapping fixed, it resumes at the same position",
        arguments: [
            ("ALTER TABLE support_tickets RENAME COLUMN category TO topic", "dropped or renamed", "field: category", "field: topic"),
            ("ALTER TABLE support_tickets ALTER COLUMN csat TYPE bigint", "given another type", "", ""),
        ])
    func stopsOnARenamedOrRetypedColumn(alteration: String, described: String, read: String, fixed: String) async throws {
        try await Self.withShop { server, store in
            let settings = try Self.settings(server)
            let source = PostgresSource(settings: settings, store: store)
            let thread = try await Self.run(source) { $0.phase == .streaming }
            try server.sql("UPDATE support_tickets SET status = 'escalated', updated_at = '2026-11-06 10:00:00'", database: "shop")
            while source.status.transactionsApplied < 1 { try await Task.sleep(for: .milliseconds(20)) }
            let applied = try store.sourcePosition("shop-db")
            try server.sql("\(alteration); UPDATE support_tickets SET status = 'resolved', csat = 4, updated_at = '2026-11-07 10:00:00'", database: "shop")
            while !thread.isFinished { try await Task.sleep(for: .milliseconds(20)) }
            guard case .stopped(let error) = source.status.phase else { Issue.record("still running"); return }
            #expect(error?.contains("of support_tickets") == true && error?.contains(described) == true, "\(error ?? "")")
            #expect(try store.sourcePosition("shop-db") == applied)
            #expect(try store.profile(customerID: "shop-1").support.openTickets == 1)

            // The mapping fixed (for a rename: read the new name), the source started again: the
            // change it stopped at is applied, once.
            var repaired = settings
            if !read.isEmpty {
                let text = try String(contentsOf: MappingLocation.shop, encoding: .utf8).replacingOccurrences(of: read, with: fixed)
                repaired.mapping = try Mapping(yaml: text)
            }
            try await server.waitUntilSlotsReleased()
            let resumed = PostgresSource(settings: repaired, store: store)
            let again = try await Self.run(resumed) { $0.transactionsApplied >= 1 }
            try await Self.stop(resumed, again)
            let profile = try store.profile(customerID: "shop-1")
            #expect(profile.support.openTickets == 0)
            #expect(profile.support.averageSatisfaction == 4)
            #expect(try store.sourcePosition("shop-db") != applied)
        }
    }

    @Test("events the store refuses are counted against the table of the change each came from")
    func refusalsByTable() {
        let refused: AppendOutcome = .rejected(C360Error(.erased, "erased"))
        let counts = PostgresSource.refusals([.appended(seq: 1), refused, .duplicate(seq: 1), refused, refused],
                                             tables: ["orders", "orders", "customers", "support_tickets", "orders"])
        #expect(counts == ["orders": 2, "support_tickets": 1])
    }
}
