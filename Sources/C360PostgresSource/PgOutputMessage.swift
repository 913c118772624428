public import C360Core

/// A message of PostgreSQL's built-in logical decoding output plugin, `pgoutput` (protocol
/// version 1, text values), as the payload of the replication stream's XLogData.
/// See PostgreSQL's "Logical Replication Message Formats".
public enum PgOutputMessage: Sendable, Equatable {
    case begin(finalLSN: LSN, commitTime: Int64, xid: UInt32)
    case commit(lsn: LSN, endLSN: LSN, commitTime: Int64)
    case origin(lsn: LSN, name: String)
    case relation(Relation)
    case type(oid: UInt32, namespace: String, name: String)
    case insert(relationID: UInt32, new: [ColumnValue])
    /// `old` is the replica identity's key columns ('K') or the whole old row ('O'), when sent.
    case update(relationID: UInt32, old: [ColumnValue]?, new: [ColumnValue])
    case delete(relationID: UInt32, old: [ColumnValue])
    case truncate(relationIDs: [UInt32], cascade: Bool, restartIdentity: Bool)
    /// A logical decoding message (`pg_logical_emit_message`), when the slot was asked for them.
    case message(transactional: Bool, lsn: LSN, prefix: String, content: [UInt8])

    /// A table as the stream describes it, before the first change to it and after each change
    /// of its definition.
    public struct Relation: Sendable, Equatable {
        public var id: UInt32
        public var namespace: String
        public var name: String
        /// `d` default (the primary key), `n` nothing, `f` full row, `i` an index.
        public var replicaIdentity: UInt8
        public var columns: [Column]

        /// `schema.table`, or the table alone in `public`.
        public var qualifiedName: String { namespace == "public" ? name : namespace + "." + name }
    }

    public struct Column: Sendable, Equatable {
        /// Part of the replica identity's key.
        public var isKey: Bool
        public var name: String
        public var typeOID: UInt32
        public var typeModifier: Int32
    }

    /// A column's value in a row change.
    public enum ColumnValue: Sendable, Equatable {
        case null
        /// A TOASTed value the change did not touch, so not sent: not a NULL.
        case unchanged
        case text(String)
    }

    /// Reads one message.
    /// - Throws: `C360Error` `.invalidArgument` for a message that is cut short, of an unknown kind,
    ///   or with binary values (the slot is read with text values only).
    public init(_ bytes: some Collection<UInt8>) throws(C360Error) {
        var reader = MessageReader(Array(bytes))
        let kind = try reader.byte()
        switch kind {
        case UInt8(ascii: "B"):
            self = .begin(finalLSN: LSN(try reader.uint64()), commitTime: try reader.int64(), xid: try reader.uint32())
        case UInt8(ascii: "C"):
            _ = try reader.byte()
            self = .commit(lsn: LSN(try reader.uint64()), endLSN: LSN(try reader.uint64()), commitTime: try reader.int64())
        case UInt8(ascii: "O"):
            self = .origin(lsn: LSN(try reader.uint64()), name: try reader.string())
        case UInt8(ascii: "R"):
            let id = try reader.uint32()
            let namespace = try reader.string()
            let name = try reader.string()
            let identity = try reader.byte()
            let count = try reader.uint16()
            var columns: [Column] = []
            for _ in 0..<count {
                let flags = try reader.byte()
                columns.append(Column(isKey: flags & 1 != 0, name: try reader.string(), typeOID: try reader.uint32(), typeModifier: Int32(bitPattern: try reader.uint32())))
            }
            self = .relation(Relation(id: id, namespace: namespace.isEmpty ? "pg_catalog" : namespace, name: name, replicaIdentity: identity, columns: columns))
        case UInt8(ascii: "Y"):
            self = .type(oid: try reader.uint32(), namespace: try reader.string(), name: try reader.string())
        case UInt8(ascii: "I"):
            let id = try reader.uint32()
            guard try reader.byte() == UInt8(ascii: "N") else { throw reader.failure("an insert without its new row") }
            self = .insert(relationID: id, new: try reader.tuple())
        case UInt8(ascii: "U"):
            let id = try reader.uint32()
            var marker = try reader.byte()
            var old: [ColumnValue]?
            if marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") {
                old = try reader.tuple()
                marker = try reader.byte()
            }
            guard marker == UInt8(ascii: "N") else { throw reader.failure("an update without its new row") }
            self = .update(relationID: id, old: old, new: try reader.tuple())
        case UInt8(ascii: "D"):
            let id = try reader.uint32()
            let marker = try reader.byte()
            guard marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") else { throw reader.failure("a delete without its old row") }
            self = .delete(relationID: id, old: try reader.tuple())
        case UInt8(ascii: "T"):
            let count = try reader.uint32()
            guard count <= 65_536 else { throw reader.failure("a truncate of \(count) tables") }
            let options = try reader.byte()
            var ids: [UInt32] = []
            for _ in 0..<count { ids.append(try reader.uint32()) }
            self = .truncate(relationIDs: ids, cascade: options & 1 != 0, restartIdentity: options & 2 != 0)
        case UInt8(ascii: "M"):
            let transactional = try reader.byte() != 0
            let lsn = LSN(try reader.uint64())
            let prefix = try reader.string()
            let length = try reader.uint32()
            self = .message(transactional: transactional, lsn: lsn, prefix: prefix, content: try reader.bytes(Int(length)))
        default:
            throw reader.failure("unknown message kind \(kind)")
        }
        guard reader.isAtEnd else { throw reader.failure("bytes left after the message") }
    }
}

/// Reads the big-endian integers and NUL-terminated strings of PostgreSQL's protocol.
struct MessageReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    func failure(_ what: String) -> C360Error {
        C360Error(.invalidArgument, "a malformed replication message (\(what), at byte \(position) of \(bytes.count))")
    }

    mutating func byte() throws(C360Error) -> UInt8 {
        guard position < bytes.count else { throw failure("cut short") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bytes(_ count: Int) throws(C360Error) -> [UInt8] {
        guard count >= 0, bytes.count - position >= count else { throw failure("cut short") }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func integer(_ width: Int) throws(C360Error) -> UInt64 {
        guard bytes.count - position >= width else { throw failure("cut short") }
        var value: UInt64 = 0
        for index in position..<position + width { value = value << 8 | UInt64(bytes[index]) }
        position += width
        return value
    }

    mutating func uint16() throws(C360Error) -> UInt16 { UInt16(try integer(2)) }
    mutating func uint32() throws(C360Error) -> UInt32 { UInt32(try integer(4)) }
    mutating func uint64() throws(C360Error) -> UInt64 { try integer(8) }
    mutating func int64() throws(C360Error) -> Int64 { Int64(bitPattern: try integer(8)) }

    mutating func string() throws(C360Error) -> String {
        guard let end = bytes[position...].firstIndex(of: 0) else { throw failure("a string without its end") }
        defer { position = end + 1 }
        guard let text = String(validating: bytes[position..<end], as: UTF8.self) else { throw failure("a string that is not UTF-8") }
        return text
    }

    /// TupleData: the count of columns, then each column's kind and value.
    mutating func tuple() throws(C360Error) -> [PgOutputMessage.ColumnValue] {
        let count = try uint16()
        var values: [PgOutputMessage.ColumnValue] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            switch try byte() {
            case UInt8(ascii: "n"): values.append(.null)
            case UInt8(ascii: "u"): values.append(.unchanged)
            case UInt8(ascii: "t"):
                let length = try uint32()
                guard let text = String(validating: try bytes(Int(length)), as: UTF8.self) else { throw failure("a value that is not UTF-8") }
                values.append(.text(text))
            case UInt8(ascii: "b"):
                throw failure("a binary value: the slot must be read with text values")
            case let kind:
                throw failure("unknown column kind \(kind)")
            }
        }
        return values
    }
}
