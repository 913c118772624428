public import C360Core
import PostgreSQL

/// What the database says about a source: its slot (how far the source confirmed, how much WAL the
/// slot holds back) and the tables its publication carries. Read over an ordinary connection, so
/// it works while `c360 serve` streams.
public struct SlotStatus: Sendable, Equatable {
    public var slotExists = false
    /// Whether a connection streams from the slot now (`c360 serve` following it).
    public var active = false
    /// The position the source confirmed: everything before it is stored in c360.
    public var confirmedLSN: LSN?
    /// The WAL position the server has reached.
    public var serverLSN: LSN?
    /// WAL bytes between what the source confirmed and the server's end: how far behind it is.
    public var lagBytes: UInt64?
    /// WAL bytes the slot keeps on the server's disk.
    public var retainedBytes: UInt64?
    public var publicationExists = false
    public var publishedTables: [String] = []

    /// Reads the slot and publication of `settings`.
    /// - Throws: `C360Error` `.unavailable` when the database cannot be reached or asked.
    public static func read(_ settings: PostgresSourceSettings) throws(C360Error) -> SlotStatus {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(settings.connection)
        } catch {
            throw C360Error(.unavailable, "source \(settings.name): \(error.message)")
        }
        var status = SlotStatus()
        do {
            let slot = try connection.query("""
                SELECT active::text, confirmed_flush_lsn::text, pg_current_wal_lsn()::text AS server,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
                FROM pg_replication_slots WHERE slot_name = \(connection.literal(settings.slot))
                """)
            if !slot.values.isEmpty {
                status.slotExists = true
                status.active = slot.first("active") == "true"
                status.confirmedLSN = slot.first("confirmed_flush_lsn").flatMap { LSN($0) }
                status.serverLSN = slot.first("server").flatMap { LSN($0) }
                status.lagBytes = slot.first("lag").flatMap { UInt64($0) }
                status.retainedBytes = slot.first("retained").flatMap { UInt64($0) }
            } else {
                status.serverLSN = try connection.query("SELECT pg_current_wal_lsn()::text AS server").first("server").flatMap { LSN($0) }
            }
            status.publicationExists = !(try connection.query("SELECT 1 FROM pg_publication WHERE pubname = \(connection.literal(settings.publication))").values.isEmpty)
            status.publishedTables = try connection.query("""
                SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables
                WHERE pubname = \(connection.literal(settings.publication)) ORDER BY 1
                """).values.compactMap { $0.first ?? nil }
        } catch {
            throw C360Error(.unavailable, "source \(settings.name): could not read its slot: \(error.message)")
        }
        return status
    }
}
