public import C360Core
public import C360Mapping

/// Gathers the `pgoutput` messages of a transaction into its row changes, keeping the tables'
/// descriptions the stream sends before their first change; a transaction is handed over whole
/// at its commit, so that its events are appended, and its position stored, in one commit.
public struct TransactionAssembler: Sendable {
    /// A row inserted, updated or deleted.
    public struct RowChange: Sendable, Equatable {
        public enum Operation: String, Sendable {
            case insert, update, delete
        }

        /// `schema.table` (the table alone in `public`).
        public var table: String
        public var operation: Operation
        /// Where the change is in the WAL: unique, and the same however often it is streamed.
        public var lsn: LSN
        /// The new row (the old key or row for a delete), by column name.
        public var columns: [(name: String, value: PgOutputMessage.ColumnValue)]

        public static func == (lhs: RowChange, rhs: RowChange) -> Bool {
            lhs.table == rhs.table && lhs.operation == rhs.operation && lhs.lsn == rhs.lsn
                && lhs.columns.map(\.name) == rhs.columns.map(\.name) && lhs.columns.map(\.value) == rhs.columns.map(\.value)
        }

        /// The row as a mapping's record: text values as text, NULL as null; an unchanged TOAST
        /// value is left out (the change did not touch it), never taken for NULL.
        public var record: RecordValue {
            var fields: [String: RecordValue] = [:]
            for (name, value) in columns {
                switch value {
                case .null: fields[name] = .null
                case .text(let text): fields[name] = .string(text)
                case .unchanged: break
                }
            }
            return .object(fields)
        }

        /// What a mapping's paths find beside the row: `_table`, `_op`, `_lsn`.
        public var metadata: [String: String] {
            ["_table": table, "_op": operation.rawValue, "_lsn": lsn.description]
        }
    }

    public struct Transaction: Sendable, Equatable {
        public var xid: UInt32
        /// The end of the commit record: once the transaction is stored, the position confirmed.
        public var endLSN: LSN
        /// Microseconds since 2000-01-01.
        public var commitTime: Int64
        public var changes: [RowChange]
    }

    /// A table's columns changed while it was streamed.
    public struct ColumnChange: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// Dropped, or renamed (the stream cannot tell them apart).
            case removed
            case added
            case retyped
        }

        public var table: String
        public var column: String
        public var kind: Kind
    }

    private var relations: [UInt32: PgOutputMessage.Relation] = [:]
    private var open: Transaction?

    public init() {}

    /// Takes the next message, which started at `lsn`. Returns the transaction it completes, and
    /// the column changes of a table described again.
    /// - Throws: `C360Error` `.invalidArgument` for a change outside a transaction, to a table not
    ///   described, or whose row does not match its description.
    public mutating func take(_ message: PgOutputMessage, at lsn: LSN) throws(C360Error) -> (transaction: Transaction?, columnChanges: [ColumnChange]) {
        switch message {
        case .begin(_, let commitTime, let xid):
            open = Transaction(xid: xid, endLSN: LSN(0), commitTime: commitTime, changes: [])
        case .commit(_, let endLSN, let commitTime):
            guard var finished = open else { throw C360Error(.invalidArgument, "a commit without its begin in the replication stream") }
            finished.endLSN = endLSN
            finished.commitTime = commitTime
            open = nil
            return (finished, [])
        case .relation(let relation):
            let changes = relations[relation.id].map { Self.columnChanges(from: $0, to: relation) } ?? []
            relations[relation.id] = relation
            return (nil, changes)
        case .insert(let id, let new):
            try add(id, .insert, new, at: lsn)
        case .update(let id, _, let new):
            try add(id, .update, new, at: lsn)
        case .delete(let id, let old):
            try add(id, .delete, old, at: lsn)
        case .origin, .type, .truncate, .message:
            break
        }
        return (nil, [])
    }

    private mutating func add(_ relationID: UInt32, _ operation: RowChange.Operation, _ values: [PgOutputMessage.ColumnValue], at lsn: LSN) throws(C360Error) {
        guard open != nil else { throw C360Error(.invalidArgument, "a row change outside a transaction in the replication stream") }
        guard let relation = relations[relationID] else {
            throw C360Error(.invalidArgument, "a row change to relation \(relationID), which the stream has not described")
        }
        guard relation.columns.count == values.count else {
            throw C360Error(.invalidArgument, "a row of \(relation.qualifiedName) with \(values.count) values for \(relation.columns.count) columns")
        }
        open?.changes.append(RowChange(table: relation.qualifiedName, operation: operation, lsn: lsn,
                                       columns: zip(relation.columns, values).map { ($0.name, $1) }))
    }

    /// What changed in a table's columns between two descriptions of it.
    static func columnChanges(from old: PgOutputMessage.Relation, to new: PgOutputMessage.Relation) -> [ColumnChange] {
        var changes: [ColumnChange] = []
        let newColumns = Dictionary(new.columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let oldNames = Set(old.columns.map(\.name))
        for column in old.columns {
            guard let now = newColumns[column.name] else {
                changes.append(ColumnChange(table: new.qualifiedName, column: column.name, kind: .removed))
                continue
            }
            if now.typeOID != column.typeOID || now.typeModifier != column.typeModifier {
                changes.append(ColumnChange(table: new.qualifiedName, column: column.name, kind: .retyped))
            }
        }
        for column in new.columns where !oldNames.contains(column.name) {
            changes.append(ColumnChange(table: new.qualifiedName, column: column.name, kind: .added))
        }
        return changes
    }
}
