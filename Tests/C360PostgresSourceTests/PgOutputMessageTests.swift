import Foundation
import C360Core
import C360Mapping
@testable import C360PostgresSource
import Testing
import C360Model

/// Messages written byte by byte as PostgreSQL's "Logical Replication Message Formats" defines them.
struct MessageWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func char(_ value: Character) { bytes.append(value.asciiValue ?? 0) }
    mutating func int(_ value: UInt64, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
    mutating func string(_ value: String) { bytes += Array(value.utf8) + [0] }
    mutating func tuple(_ values: [PgOutputMessage.ColumnValue]) {
        int(UInt64(values.count), width: 2)
        for value in values {
            switch value {
            case .null: char("n")
            case .unchanged: char("u")
            case .text(let text):
                char("t")
                int(UInt64(text.utf8.count), width: 4)
                bytes += Array(text.utf8)
            }
        }
    }

    static func relation(id: UInt32, name: String, columns: [(String, UInt32, Bool)]) -> [UInt8] {
        var writer = MessageWriter()
        writer.char("R"); writer.int(UInt64(id), width: 4); writer.string("public"); writer.string(name); writer.char("d")
        writer.int(UInt64(columns.count), width: 2)
        for (column, type, key) in columns {
            writer.byte(key ? 1 : 0); writer.string(column); writer.int(UInt64(type), width: 4); writer.int(UInt64(UInt32(bitPattern: -1)), width: 4)
        }
        return writer.bytes
    }

    static func begin(xid: UInt32) -> [UInt8] {
        var writer = MessageWriter()
        writer.char("B"); writer.int(0x16_B374_D848, width: 8); writer.int(123, width: 8); writer.int(UInt64(xid), width: 4)
        return writer.bytes
    }

    static func commit(end: UInt64) -> [UInt8] {
        var writer = MessageWriter()
        writer.char("C"); writer.byte(0); writer.int(end - 8, width: 8); writer.int(end, width: 8); writer.int(456, width: 8)
        return writer.bytes
    }

    static func insert(id: UInt32, _ values: [PgOutputMessage.ColumnValue]) -> [UInt8] {
        var writer = MessageWriter()
        writer.char("I"); writer.int(UInt64(id), width: 4); writer.char("N"); writer.tuple(values)
        return writer.bytes
    }

    static func update(id: UInt32, old: [PgOutputMessage.ColumnValue]?, _ values: [PgOutputMessage.ColumnValue]) -> [UInt8] {
        var writer = MessageWriter()
        writer.char("U"); writer.int(UInt64(id), width: 4)
        if let old { writer.char("K"); writer.tuple(old) }
        writer.char("N"); writer.tuple(values)
        return writer.bytes
    }

    static func delete(id: UInt32, _ key: [PgOutputMessage.ColumnValue]) -> [UInt8] {
        var writer = MessageWriter()
        writer.char("D"); writer.int(UInt64(id), width: 4); writer.char("K"); writer.tuple(key)
        return writer.bytes
    }
}

@Suite struct PgOutputMessageTests {
    static let orders = MessageWriter.relation(id: 16_384, name: "orders", columns: [("id", 23, true), ("status", 25, false), ("notes", 25, false)])

    @Test("LSNs read and write as PostgreSQL does, and order by position")
    func lsn() {
        #expect(LSN("16/B374D848")?.value == 0x16_B374_D848)
        #expect(LSN(0x16_B374_D848).description == "16/B374D848")
        #expect(LSN("0/0") == LSN(0))
        #expect(LSN("0/1")! < LSN("1/0")!)
        for bad in ["", "16", "16/", "/1", "G/1", "1/2/3", "123456789/0"] { #expect(LSN(bad) == nil, "\(bad)") }
    }

    @Test("every message kind decodes: begin, commit, relation, insert, update with and without the old key, delete, truncate, origin, type")
    func decode() throws {
        #expect(try PgOutputMessage(MessageWriter.begin(xid: 7)) == .begin(finalLSN: LSN(0x16_B374_D848), commitTime: 123, xid: 7))
        #expect(try PgOutputMessage(MessageWriter.commit(end: 100)) == .commit(lsn: LSN(92), endLSN: LSN(100), commitTime: 456))
        guard case .relation(let relation) = try PgOutputMessage(Self.orders) else { Issue.record("not a relation"); return }
        #expect(relation.qualifiedName == "orders")
        #expect(relation.columns.map(\.name) == ["id", "status", "notes"])
        #expect(relation.columns.map(\.isKey) == [true, false, false])
        #expect(try PgOutputMessage(MessageWriter.insert(id: 16_384, [.text("1"), .text("placed"), .null]))
            == .insert(relationID: 16_384, new: [.text("1"), .text("placed"), .null]))
        #expect(try PgOutputMessage(MessageWriter.update(id: 16_384, old: [.text("1"), .null, .null], [.text("1"), .text("shipped"), .unchanged]))
            == .update(relationID: 16_384, old: [.text("1"), .null, .null], new: [.text("1"), .text("shipped"), .unchanged]))
        #expect(try PgOutputMessage(MessageWriter.update(id: 16_384, old: nil, [.text("1"), .text("shipped"), .unchanged]))
            == .update(relationID: 16_384, old: nil, new: [.text("1"), .text("shipped"), .unchanged]))
        #expect(try PgOutputMessage(MessageWriter.delete(id: 16_384, [.text("1"), .null, .null])) == .delete(relationID: 16_384, old: [.text("1"), .null, .null]))
        var truncate = MessageWriter()
        truncate.char("T"); truncate.int(2, width: 4); truncate.byte(1); truncate.int(1, width: 4); truncate.int(2, width: 4)
        #expect(try PgOutputMessage(truncate.bytes) == .truncate(relationIDs: [1, 2], cascade: true, restartIdentity: false))
        var origin = MessageWriter()
        origin.char("O"); origin.int(5, width: 8); origin.string("upstream")
        #expect(try PgOutputMessage(origin.bytes) == .origin(lsn: LSN(5), name: "upstream"))
        var type = MessageWriter()
        type.char("Y"); type.int(600, width: 4); type.string("public"); type.string("mood")
        #expect(try PgOutputMessage(type.bytes) == .type(oid: 600, namespace: "public", name: "mood"))
    }

    @Test("a message cut anywhere, with bytes left over, of an unknown kind or with a binary value is an error, never a crash")
    func malformed() {
        let whole = MessageWriter.update(id: 16_384, old: [.text("1"), .null, .null], [.text("1"), .text("shipped"), .unchanged])
        for length in 0..<whole.count {
            #expect(throws: C360Error.self) { try PgOutputMessage(whole.prefix(length)) }
        }
        #expect(throws: C360Error.self) { try PgOutputMessage(whole + [0]) }
        #expect(throws: C360Error.self) { try PgOutputMessage([UInt8(ascii: "Z")]) }
        var binary = MessageWriter()
        binary.char("I"); binary.int(1, width: 4); binary.char("N"); binary.int(1, width: 2); binary.char("b"); binary.int(1, width: 4); binary.byte(7)
        #expect(throws: C360Error.self) { try PgOutputMessage(binary.bytes) }
        var huge = MessageWriter()
        huge.char("I"); huge.int(1, width: 4); huge.char("N"); huge.int(1, width: 2); huge.char("t"); huge.int(0xFFFF_FFFF, width: 4)
        #expect(throws: C360Error.self) { try PgOutputMessage(huge.bytes) }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? PgOutputMessage(bytes)
            _ = try? ReplicationStreamMessage(bytes)
        }
    }

    @Test("the replication stream's XLogData and keepalives decode; a status update is 34 bytes, big-endian")
    func stream() throws {
        var data = MessageWriter()
        data.char("w"); data.int(10, width: 8); data.int(20, width: 8); data.int(30, width: 8); data.bytes += MessageWriter.begin(xid: 1)
        #expect(try ReplicationStreamMessage(data.bytes) == .xLogData(start: LSN(10), end: LSN(20), serverTime: 30, payload: MessageWriter.begin(xid: 1)))
        var keepalive = MessageWriter()
        keepalive.char("k"); keepalive.int(99, width: 8); keepalive.int(5, width: 8); keepalive.byte(1)
        #expect(try ReplicationStreamMessage(keepalive.bytes) == .keepalive(end: LSN(99), serverTime: 5, replyRequested: true))
        let update = ReplicationStreamMessage.statusUpdate(received: LSN(3), flushed: LSN(2), applied: LSN(1), time: 4)
        #expect(update.count == 34)
        #expect(update.first == UInt8(ascii: "r"))
        #expect(Array(update[9..<17]) == [0, 0, 0, 0, 0, 0, 0, 2])
    }
}

@Suite struct TransactionAssemblerTests {
    @Test("a transaction's row changes come out whole at its commit, as records a mapping reads: unchanged TOAST values left out, not taken for NULL")
    func transaction() throws {
        var assembler = TransactionAssembler()
        func take(_ bytes: [UInt8], at lsn: UInt64) throws -> TransactionAssembler.Transaction? {
            try assembler.take(try PgOutputMessage(bytes), at: LSN(lsn)).transaction
        }
        #expect(try take(MessageWriter.begin(xid: 9), at: 1) == nil)
        #expect(try take(PgOutputMessageTests.orders, at: 2) == nil)
        #expect(try take(MessageWriter.insert(id: 16_384, [.text("1"), .text("placed"), .text("fragile")]), at: 3) == nil)
        #expect(try take(MessageWriter.update(id: 16_384, old: nil, [.text("1"), .text("shipped"), .unchanged]), at: 4) == nil)
        #expect(try take(MessageWriter.delete(id: 16_384, [.text("1"), .null, .null]), at: 5) == nil)
        let transaction = try #require(try take(MessageWriter.commit(end: 0x100), at: 6))
        #expect(transaction.xid == 9)
        #expect(transaction.endLSN == LSN(0x100))
        #expect(transaction.changes.map(\.operation) == [.insert, .update, .delete])
        #expect(transaction.changes.map(\.lsn) == [LSN(3), LSN(4), LSN(5)])
        let update = transaction.changes[1]
        #expect(update.record == .object(["id": .string("1"), "status": .string("shipped")]))
        #expect(update.metadata == ["_table": "orders", "_op": "update", "_lsn": "0/4"])
        #expect(transaction.changes[2].record == .object(["id": .string("1"), "status": .null, "notes": .null]))
    }

    @Test("a table described again reports its columns removed (dropped or renamed), added and retyped")
    func schemaChanges() throws {
        var assembler = TransactionAssembler()
        _ = try assembler.take(try PgOutputMessage(PgOutputMessageTests.orders), at: LSN(1))
        let changed = MessageWriter.relation(id: 16_384, name: "orders", columns: [("id", 20, true), ("state", 25, false), ("notes", 25, false), ("channel", 25, false)])
        let changes = try assembler.take(try PgOutputMessage(changed), at: LSN(2)).columnChanges
        #expect(changes == [
            .init(table: "orders", column: "id", kind: .retyped), .init(table: "orders", column: "status", kind: .removed),
            .init(table: "orders", column: "state", kind: .added), .init(table: "orders", column: "channel", kind: .added),
        ])
    }

    @Test("changes outside a transaction, to an undescribed table, or with the wrong number of values are refused")
    func refused() throws {
        var assembler = TransactionAssembler()
        #expect(throws: C360Error.self) { try assembler.take(try PgOutputMessage(MessageWriter.insert(id: 1, [.null])), at: LSN(1)) }
        _ = try assembler.take(try PgOutputMessage(MessageWriter.begin(xid: 1)), at: LSN(1))
        #expect(throws: C360Error.self) { try assembler.take(try PgOutputMessage(MessageWriter.insert(id: 1, [.null])), at: LSN(2)) }
        _ = try assembler.take(try PgOutputMessage(PgOutputMessageTests.orders), at: LSN(3))
        #expect(throws: C360Error.self) { try assembler.take(try PgOutputMessage(MessageWriter.insert(id: 16_384, [.null])), at: LSN(4)) }
        var fresh = TransactionAssembler()
        #expect(throws: C360Error.self) { try fresh.take(try PgOutputMessage(MessageWriter.commit(end: 9)), at: LSN(1)) }
    }

    @Test("a shop's changes through the example mapping become its events")
    func throughTheMapping() throws {
        let text = try String(contentsOf: MappingLocation.shop, encoding: .utf8)
        let mapping = try Mapping(yaml: text)
        var assembler = TransactionAssembler()
        let tickets = MessageWriter.relation(id: 20, name: "support_tickets", columns: [
            ("id", 25, true), ("customer_id", 25, false), ("status", 25, false), ("category", 25, false), ("channel", 25, false), ("csat", 23, false), ("updated_at", 1_114, false),
        ])
        for (bytes, lsn) in [(MessageWriter.begin(xid: 3), 1), (tickets, 2),
                             (MessageWriter.insert(id: 20, [.text("T-1"), .text("42"), .text("open"), .unchanged, .text("chat"), .null, .text("2026-11-03 12:00:00")]), 3)] as [([UInt8], UInt64)] {
            _ = try assembler.take(try PgOutputMessage(bytes), at: LSN(UInt64(lsn)))
        }
        let transaction = try #require(try assembler.take(try PgOutputMessage(MessageWriter.commit(end: 64)), at: LSN(4)).transaction)
        let change = try #require(transaction.changes.first)
        let events = try mapping.events(from: change.record, metadata: change.metadata)
        #expect(events.map(\.eventID) == ["pg:support_tickets:T-1:0/3"])
        #expect(events.first?.ticketEvent.type == .opened)
        #expect(events.first?.ticketEvent.category == "")
    }
}

enum MappingLocation {
    static let shop = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ops/mappings/shop-postgres.yaml")
}
