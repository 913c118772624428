public import C360Core
import C360Mapping
import C360Model
public import C360Store
import Dispatch
import Foundation
import PostgreSQL
import Synchronization
import CoreMetrics

/// Follows a PostgreSQL database's changes into the store, exactly once.
///
/// On its first start it creates a logical replication slot with the built-in `pgoutput` plugin,
/// reads every table in the snapshot the slot exported (so nothing before the slot's starting
/// point is missed, and nothing after it read twice), stores the slot's starting point, and
/// streams from there. Each transaction's events are appended with the position of its commit
/// in one synced commit (`EventStore.append(_:position:)`); only then is that position confirmed
/// to PostgreSQL, which may then recycle the WAL before it. After a crash of either side it
/// streams again from the stored position: a transaction at or before it is skipped.
///
/// A record the mapping refuses, or a change to a column the mapping reads (dropped, renamed,
/// retyped), stops the source with an error naming the table and column and nothing skipped: fix
/// the mapping, start again, and it resumes at the same position. Runs on a thread of its own
/// (libpq blocks); `stop()` ends it.
public final class PostgresSource: Sendable {
    public let settings: PostgresSourceSettings
    private let store: EventStore
    private let state = Mutex(Status())
    private let stopping = Atomic(false)
    private let metrics: SourceMetrics

    /// What the source is doing, for `c360 source status` and the metrics.
    public struct Status: Sendable {
        public enum Phase: Sendable, Equatable {
            case starting
            case snapshot(table: String)
            case streaming
            case stopped(error: String?)
        }

        public var phase = Phase.starting
        /// The position of the last transaction stored.
        public var storedLSN: LSN?
        /// The end of the WAL as the server last reported it.
        public var serverLSN: LSN?
        public var snapshotRows = 0
        public var transactionsApplied = 0
        /// Row changes applied per table (events appended or already present).
        public var changesApplied: [String: Int] = [:]
        /// Events the store refused per table (an erased customer's, say): counted, not retried.
        public var eventsRefused: [String: Int] = [:]
        /// Customers erased for rows deleted from the erasure table.
        public var erasures = 0

        /// Bytes of WAL the source is behind the server.
        public var lagBytes: UInt64? {
            guard let storedLSN, let serverLSN, serverLSN > storedLSN else { return storedLSN == nil ? nil : 0 }
            return serverLSN.value - storedLSN.value
        }
    }

    public init(settings: PostgresSourceSettings, store: EventStore) {
        self.settings = settings
        self.store = store
        self.metrics = SourceMetrics(source: settings.name)
    }

    public var status: Status { state.withLock { $0 } }

    /// Asks the source to stop; `run` returns soon after.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    /// Follows the database until `stop()` or a failure. Blocks: call it on a thread of its own.
    /// - Throws: `C360Error`: `.unavailable` for a connection that failed, `.invalidArgument` for
    ///   a record the mapping refuses or a mapped column that changed, `.failedPrecondition` for a
    ///   database that is not set up for logical replication.
    public func run() throws(C360Error) {
        metrics.running.record(1)
        defer { metrics.running.record(0) }
        do throws(C360Error) {
            try follow()
            state.withLock { $0.phase = .stopped(error: nil) }
        } catch {
            state.withLock { $0.phase = .stopped(error: error.message) }
            throw error
        }
    }

    private func follow() throws(C360Error) {
        let replication = try connect(replication: true)
        var stored = try storedPosition()
        if stored == nil {
            stored = try takeSnapshot(replication)
        }
        guard let start = stored else { return }
        try stream(replication, from: start)
    }

    // MARK: Connections and positions

    private func connect(replication: Bool) throws(C360Error) -> PostgresConnection {
        do {
            return try PostgresConnection(settings.connection + (replication ? " replication=database" : ""))
        } catch {
            throw C360Error(.unavailable, "source \(settings.name): \(error.message)")
        }
    }

    private func sql(_ connection: PostgresConnection, _ statement: String, doing action: String) throws(C360Error) -> PostgresConnection.Rows {
        do {
            return try connection.query(statement)
        } catch {
            let code: C360Error.Code = error.sqlState == "55000" || error.sqlState == "42501" ? .failedPrecondition : .unavailable
            throw C360Error(code, "source \(settings.name): could not \(action): \(error.message)")
        }
    }

    private func storedPosition() throws(C360Error) -> LSN? {
        guard let bytes = try store.sourcePosition(settings.name), bytes.count == 8 else { return nil }
        return LSN(bytes.reduce(0) { $0 << 8 | UInt64($1) })
    }

    private func position(_ lsn: LSN) -> SourcePosition {
        SourcePosition(source: settings.name, value: withUnsafeBytes(of: lsn.value.bigEndian) { Array($0) })
    }

    /// Appends from this thread, storing `lsn` as the position in the same commit when given, and
    /// waits for the commit.
    private func append(_ events: [C360_V1_Event], storing lsn: LSN?) throws(C360Error) -> [AppendOutcome] {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<[AppendOutcome], C360Error>?>(nil)
        store.append(events, position: lsn.map(position)) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0 }!.get()
    }

    // MARK: The initial snapshot

    /// Creates the publication (if missing) and the slot, reads every table in the slot's
    /// exported snapshot, and stores the slot's starting point. Rows are appended with event ids
    /// that depend on their content only, so a snapshot begun again after a crash appends what
    /// changed since and nothing twice.
    private func takeSnapshot(_ replication: PostgresConnection) throws(C360Error) -> LSN {
        let database = try connect(replication: false)
        let publication = database.literal(settings.publication)
        if try sql(database, "SELECT 1 FROM pg_publication WHERE pubname = \(publication)", doing: "look for the publication").values.isEmpty {
            let tables = settings.tables.map { table in
                table.split(separator: ".").map { database.identifier(String($0)) }.joined(separator: ".")
            }.joined(separator: ", ")
            _ = try sql(database, "CREATE PUBLICATION \(database.identifier(settings.publication)) FOR TABLE \(tables)", doing: "create the publication")
        }
        // A slot without a stored position is left from a snapshot that did not finish: its
        // exported snapshot is gone with the connection that made it, so it is made again.
        if try !sql(database, "SELECT 1 FROM pg_replication_slots WHERE slot_name = \(database.literal(settings.slot))", doing: "look for the slot").values.isEmpty {
            _ = try sql(replication, "DROP_REPLICATION_SLOT \(database.identifier(settings.slot))", doing: "drop the slot of an unfinished snapshot")
        }
        let created = try sql(replication, "CREATE_REPLICATION_SLOT \(database.identifier(settings.slot)) LOGICAL pgoutput (SNAPSHOT 'export')", doing: "create the replication slot")
        guard let point = created.first("consistent_point").flatMap({ LSN($0) }), let snapshot = created.first("snapshot_name") else {
            throw C360Error(.unavailable, "source \(settings.name): the new slot reported no starting point or snapshot")
        }
        _ = try sql(database, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", doing: "begin the snapshot")
        _ = try sql(database, "SET TRANSACTION SNAPSHOT \(database.literal(snapshot))", doing: "import the slot's snapshot")
        for table in settings.tables {
            state.withLock { $0.phase = .snapshot(table: table) }
            let name = table.split(separator: ".").map { database.identifier(String($0)) }.joined(separator: ".")
            _ = try sql(database, "DECLARE c360_rows NO SCROLL CURSOR FOR SELECT * FROM \(name)", doing: "read \(table)")
            let qualified = table.hasPrefix("public.") ? String(table.dropFirst(7)) : table
            // The rows of one fetch are mapped on every core, and appended while the next fetch
            // is read, mapped and prepared: one append in flight at a time, in order.
            var inFlight: PendingAppend?
            while !stopping.load(ordering: .relaxed) {
                let rows = try sql(database, "FETCH 2000 FROM c360_rows", doing: "read \(table)")
                if rows.values.isEmpty { break }
                let events = store.prepare(try mappedInParallel(rows, table: qualified))
                try inFlight?.wait()
                let count = rows.values.count
                inFlight = PendingAppend(events, position: nil, into: store) { [self] outcomes in
                    record(changes: [qualified: count], refused: Self.refusals(outcomes, tables: Array(repeating: qualified, count: outcomes.count)), snapshot: true)
                }
            }
            try inFlight?.wait()
            _ = try sql(database, "CLOSE c360_rows", doing: "read \(table)")
            if stopping.load(ordering: .relaxed) { throw C360Error(.unavailable, "source \(settings.name): stopped during the snapshot") }
        }
        _ = try sql(database, "COMMIT", doing: "end the snapshot")
        // The snapshot is in: from here on the stream carries every change.
        _ = try append([], storing: point)
        state.withLock { $0.storedLSN = point }
        return point
    }

    /// `orders` and `public.orders` are one table; the stream names tables in `public` alone.
    public static func sameTable(_ streamed: String, _ configured: String) -> Bool {
        streamed == configured || "public." + streamed == configured
    }

    /// The events of a fetch's rows, mapped on every core, in row order.
    private func mappedInParallel(_ rows: PostgresConnection.Rows, table: String) throws(C360Error) -> [C360_V1_Event] {
        try Self.inParallel(rows.values) { row throws(C360Error) in
            var fields: [String: RecordValue] = [:]
            for (column, value) in zip(rows.columns, row) { fields[column] = value.map(RecordValue.string) ?? .null }
            let metadata = ["_table": table, "_op": "snapshot", "_lsn": "snapshot-" + Self.digest(table, rows.columns, row)]
            return try mapped(.object(fields), metadata: metadata, table: table)
        }.flatMap { $0 }
    }

    /// The events of streamed row changes, mapped on every core, in order, each with its table.
    private func mappedInParallel(_ changes: [TransactionAssembler.RowChange]) throws(C360Error) -> (events: [C360_V1_Event], tables: [String]) {
        let made = try Self.inParallel(changes) { change throws(C360Error) in
            try mapped(change.record, metadata: change.metadata, table: change.table)
        }
        var events: [C360_V1_Event] = []
        var tables: [String] = []
        for (change, events_) in zip(changes, made) {
            events += events_
            tables += Array(repeating: change.table, count: events_.count)
        }
        return (events, tables)
    }

    /// `transform` of each item, in order, computed in as many slices as there are cores (one
    /// slice for a few items); the first error in item order is thrown.
    private static func inParallel<Item: Sendable, Output: Sendable>(
        _ items: [Item], _ transform: @Sendable (Item) throws(C360Error) -> Output
    ) throws(C360Error) -> [Output] {
        let slices = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / 64))
        if slices == 1 {
            var outputs: [Output] = []
            outputs.reserveCapacity(items.count)
            for item in items { outputs.append(try transform(item)) }
            return outputs
        }
        let size = (items.count + slices - 1) / slices
        let results = Mutex([Result<[Output], C360Error>?](repeating: nil, count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let result = Result { () throws(C360Error) -> [Output] in
                var outputs: [Output] = []
                for item in items[(slice * size)..<min(items.count, (slice + 1) * size)] { outputs.append(try transform(item)) }
                return outputs
            }
            results.withLock { $0[slice] = result }
        }
        var outputs: [Output] = []
        for result in results.withLock({ $0 }) { outputs += try result!.get() }
        return outputs
    }

    /// An append handed to the store's writer, waited for later; `completion` sees its outcomes.
    private final class PendingAppend: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let failure = Mutex<C360Error?>(nil)

        init(_ events: EventStore.PreparedBatch, position: SourcePosition?, into store: EventStore,
             completion: @escaping @Sendable ([AppendOutcome]) -> Void) {
            store.append(prepared: events, position: position) { [self] outcome in
                switch outcome {
                case .success(let outcomes): completion(outcomes)
                case .failure(let error): failure.withLock { $0 = error }
                }
                done.signal()
            }
        }

        func wait() throws(C360Error) {
            done.wait()
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }

    /// A row's content, for its snapshot event ids: FNV-1a over the table, columns and values.
    static func digest(_ table: String, _ columns: [String], _ values: [String?]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ text: String?) {
            for byte in (text.map { "t" + $0 } ?? "n").utf8 + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        add(table)
        for (column, value) in zip(columns, values) {
            add(column)
            add(value)
        }
        return String(hash, radix: 16)
    }

    private func mapped(_ record: RecordValue, metadata: [String: String], table: String) throws(C360Error) -> [C360_V1_Event] {
        do {
            return try settings.mapping.events(from: record, metadata: metadata)
        } catch {
            throw C360Error(.invalidArgument, "source \(settings.name) stopped at a change to \(table) (\(metadata["_lsn"] ?? "")) the mapping refuses, nothing skipped; fix the mapping and start again: \(error.message)", field: error.field)
        }
    }

    /// The events the store refused, by the table of the change each came from (`tables`, one per event).
    static func refusals(_ outcomes: [AppendOutcome], tables: [String]) -> [String: Int] {
        var refused: [String: Int] = [:]
        for (outcome, table) in zip(outcomes, tables) {
            if case .rejected = outcome { refused[table, default: 0] += 1 }
        }
        return refused
    }

    private func record(changes: [String: Int], refused: [String: Int], snapshot: Bool) {
        state.withLock { status in
            status.changesApplied.merge(changes, uniquingKeysWith: +)
            status.eventsRefused.merge(refused, uniquingKeysWith: +)
            if snapshot { status.snapshotRows += changes.values.reduce(0, +) }
        }
        for (table, count) in changes { metrics.changesApplied(count, table: table) }
        for (table, count) in refused { metrics.eventsRefused(count, table: table) }
        if snapshot { metrics.snapshotRows.increment(by: changes.values.reduce(0, +)) }
    }

    /// Erases the customer a deleted row of the erasure table names, from this thread. The
    /// request's reference names the source, table and position, so the audit log says which
    /// change asked for it; erasing again (a transaction streamed again after a crash) is safe.
    private func erase(_ change: TransactionAssembler.RowChange, as erasure: PostgresSourceSettings.Erasure) throws(C360Error) {
        let customerID: String
        do throws(C360Error) {
            customerID = try erasure.customerID.render(change.record)
        } catch {
            throw C360Error(.invalidArgument, "source \(settings.name) stopped at a delete in \(change.table) (\(change.lsn)) whose customer it cannot name, nothing skipped: \(error.message) (the table needs its key columns in the delete: REPLICA IDENTITY)")
        }
        let reference = "postgres:\(settings.name):\(change.table):\(change.lsn)"
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<C360Error?>(nil)
        let store = self.store, actor = "source \(settings.name)"
        Task {
            do throws(C360Error) {
                _ = try await store.erase(customerID: customerID, requestID: String(reference.prefix(128)), actor: actor)
            } catch {
                result.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = result.withLock({ $0 }) { throw error }
        state.withLock { $0.erasures += 1 }
    }

    // MARK: Streaming

    /// Transactions received but not yet handed to the store: mapped and stored together, in one
    /// commit with the position of the last, when the stream has nothing more waiting (or enough
    /// is gathered), so that a busy database costs one synced commit per batch, not per
    /// transaction. The rows are mapped on every core while the previous batch commits.
    private struct Batch {
        var changes: [TransactionAssembler.RowChange] = []
        var counts: [String: Int] = [:]
        var endLSN: LSN?
        var lastCommitTime: Int64 = 0
        var transactions = 0

        static let maximumChanges = 10_000
        var isFull: Bool { changes.count >= Self.maximumChanges }
    }

    /// A batch the store's writer is committing.
    private struct Committing {
        var append: PendingAppend
        var endLSN: LSN
        var lastCommitTime: Int64
        var transactions: Int
    }

    private func stream(_ replication: PostgresConnection, from start: LSN) throws(C360Error) {
        state.withLock {
            $0.phase = .streaming
            $0.storedLSN = start
        }
        let command = "START_REPLICATION SLOT \(replication.identifier(settings.slot)) LOGICAL \(start) (proto_version '1', publication_names \(replication.literal(settings.publication)))"
        do {
            try replication.startCopyBoth(command)
        } catch where error.sqlState == "55006" {
            // PostgreSQL lets one connection at a time use a slot (object_in_use): a moment after a
            // disconnect it still holds it for the connection that closed, and a second server
            // following under this source's name holds it for as long as it runs.
            throw C360Error(.unavailable, """
                source \(settings.name): replication slot \(settings.slot) is in use by another connection — the source's \
                previous one, which PostgreSQL lets go a moment after it closed, or another server following this database \
                under the same source name (\(error.message))
                """)
        } catch {
            throw C360Error(.unavailable, "source \(settings.name): could not start streaming from \(start): \(error.message)")
        }
        var stored = start
        var received = start
        var assembler = TransactionAssembler()
        var batch = Batch()
        var committing: Committing?
        let fieldsRead = settings.mapping.fieldsRead
        var lastStatus = ContinuousClock.now

        /// Waits for the batch being committed; true when there was one (its position is stored).
        func settle() throws(C360Error) -> Bool {
            guard let current = committing else { return false }
            committing = nil
            try current.append.wait()
            stored = current.endLSN
            state.withLock {
                $0.storedLSN = current.endLSN
                $0.transactionsApplied += current.transactions
            }
            let behind = Instant.now.microsecondsSinceEpoch - ReplicationStreamMessage.postgresEpochOffsetMicroseconds - current.lastCommitTime
            metrics.lagSeconds.record(Double(max(0, behind)) / 1_000_000)
            metrics.lagBytes.record(received > stored ? Int64(received.value - stored.value) : 0)
            return true
        }

        /// Maps the batch and hands it to the store with its last transaction's position, once
        /// the batch before it is committed.
        func flush() throws(C360Error) {
            guard let endLSN = batch.endLSN else { return }
            let (mapped, tables) = try mappedInParallel(batch.changes)
            let events = store.prepare(mapped)
            _ = try settle()
            let counts = batch.counts
            committing = Committing(
                append: PendingAppend(events, position: position(endLSN), into: store) { [self] outcomes in
                    record(changes: counts, refused: Self.refusals(outcomes, tables: tables), snapshot: false)
                },
                endLSN: endLSN, lastCommitTime: batch.lastCommitTime, transactions: batch.transactions)
            batch = Batch()
        }

        while !stopping.load(ordering: .relaxed) {
            let data: [UInt8]?
            do {
                // With work waiting, only what has already arrived is read before doing it.
                data = try replication.readCopyData(timeoutMilliseconds: batch.endLSN == nil && committing == nil ? 200 : 0)
            } catch {
                throw C360Error(.unavailable, "source \(settings.name): the replication stream ended: \(error.message)")
            }
            var reply = false
            if let data {
                switch try ReplicationStreamMessage(data) {
                case .keepalive(let end, _, let replyRequested):
                    state.withLock { $0.serverLSN = end }
                    received = max(received, end)
                    if replyRequested {
                        try flush()
                        _ = try settle()
                        reply = true
                    }
                    metrics.lagBytes.record(end > stored ? Int64(end.value - stored.value) : 0)
                    if end <= stored, batch.endLSN == nil, committing == nil { metrics.lagSeconds.record(0) }
                case .xLogData(let walStart, let end, _, let payload):
                    received = max(received, end)
                    let (transaction, columnChanges) = try assembler.take(try PgOutputMessage(payload), at: walStart)
                    for change in columnChanges where change.kind != .added && fieldsRead.contains(change.column) {
                        try flush()
                        _ = try settle()
                        throw C360Error(.invalidArgument, "source \(settings.name) stopped: column \(change.column) of \(change.table), which the mapping reads, was \(change.kind == .removed ? "dropped or renamed" : "given another type"); nothing after \(stored) was applied: fix the mapping, then start again")
                    }
                    if let transaction, transaction.endLSN > max(stored, batch.endLSN ?? stored, committing?.endLSN ?? stored) {
                        var changes: [TransactionAssembler.RowChange] = []
                        for change in transaction.changes {
                            if let erasure = settings.erasure, change.operation == .delete, Self.sameTable(change.table, erasure.table) {
                                // What came before the delete goes in first: the transactions
                                // before this one with their position, then this one's changes so far.
                                try flush()
                                _ = try settle()
                                let (events, tables) = try mappedInParallel(changes)
                                let outcomes = try append(events, storing: nil)
                                record(changes: [:], refused: Self.refusals(outcomes, tables: tables), snapshot: false)
                                changes = []
                                try erase(change, as: erasure)
                                continue
                            }
                            changes.append(change)
                        }
                        batch.changes += changes
                        for change in transaction.changes { batch.counts[change.table, default: 0] += 1 }
                        batch.endLSN = transaction.endLSN
                        batch.lastCommitTime = transaction.commitTime
                        batch.transactions += 1
                        if batch.isFull { try flush() }
                    }
                }
            } else if batch.endLSN != nil {
                try flush()
            } else {
                reply = try settle()
            }
            if reply || ContinuousClock.now - lastStatus > .seconds(10) {
                let update = ReplicationStreamMessage.statusUpdate(
                    received: received, flushed: stored, applied: stored,
                    time: Instant.now.microsecondsSinceEpoch - ReplicationStreamMessage.postgresEpochOffsetMicroseconds)
                do {
                    try replication.writeCopyData(update)
                } catch {
                    throw C360Error(.unavailable, "source \(settings.name): could not confirm \(stored) to the server: \(error.message)")
                }
                lastStatus = .now
            }
        }
        try flush()
        _ = try settle()
    }
}
