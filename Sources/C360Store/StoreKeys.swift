/// The key layout of the store, in one place.
///
/// Every customer (and every anonymous visitor known only by an identity) is a *subject*: an
/// internal 64-bit number, never reused, that keys all of its data. Anonymous subjects have the
/// top bit set, so a subject's kind needs no lookup and anonymous histories sort after customers. Keys hold only numbers and
/// keyed hashes, never personal data, because keys also appear in RocksDB's MANIFEST and index
/// blocks, which an erasure does not rewrite.
///
/// | column family | key | value |
/// |---|---|---|
/// | `events` | subject ‖ seq | `c360.v1.Event` |
/// | `resolutions` | subject ‖ seq | `c360.store.v1.Resolution` of that event, if it changed anything |
/// | `segments` | segment name ‖ 0x00 ‖ subject | customer id (a member) |
/// | `merges` | `a` ‖ anonymous subject | customer subject; `c` ‖ customer ‖ anonymous subject | empty |
/// | `log` | seq | `0x01` ‖ subject, or `0x02` ‖ `c360.v1.Tombstone` |
/// | `dedup` | event_id (UTF-8) | seq |
/// | `identities` | HMAC(identity)[0..<16] | subject |
/// | `projections`, `projections_b` | subject | `c360.store.v1.Projection`: two keyspaces, one current (meta `projection_keyspace`), the other empty or holding a new fold's projections being built |
/// | `snapshots` | snapshot seq ‖ subject | `c360.store.v1.Projection` |
/// | `tombstones` | `h` ‖ HMAC(customer id) | `c360.v1.Tombstone`; `s` ‖ subject | empty; `i` ‖ identity index key | empty |
/// | `meta` | name | value |
enum StoreKeys {
    static let columnFamilies = ["events", "log", "dedup", "identities", "projections", "snapshots", "tombstones", "meta", "resolutions", "merges", "segments", "projections_b"]

    static let anonymousBit: UInt64 = 1 << 63

    static func isAnonymous(_ subject: UInt64) -> Bool { subject & anonymousBit != 0 }

    static func mergedInto(anonymous: UInt64) -> [UInt8] { [UInt8(ascii: "a")] + bigEndian(anonymous) }

    static func member(customer: UInt64, anonymous: UInt64) -> [UInt8] { [UInt8(ascii: "c")] + bigEndian(customer) + bigEndian(anonymous) }

    static func members(customer: UInt64) -> (from: [UInt8], to: [UInt8]) {
        ([UInt8(ascii: "c")] + bigEndian(customer), [UInt8(ascii: "c")] + bigEndian(customer + 1))
    }

    /// Bumped when the layout changes; a store refuses to open a directory with a newer one.
    /// 3: the projections' checkpoint kept in each keyspace (`projectionsCheckpoint`) instead of
    /// `meta` (step 60).
    static let schemaVersion: UInt64 = 3
    /// The oldest layout a store still opens, marking it current: schema 2 differs only by its
    /// checkpoint in `meta`, which is read while the keyspace has none.
    static let oldestOpenedSchemaVersion: UInt64 = 2

    enum Meta {
        static let schemaVersion = Array("schema_version".utf8)
        static let projectionVersion = Array("projection_version".utf8)
        static let lastSeq = Array("last_seq".utf8)
        static let nextSubject = Array("next_subject".utf8)
        static let eventCount = Array("event_count".utf8)
        static let pseudonymKey = Array("pseudonym_key".utf8)
        static let snapshot = Array("snapshot".utf8)
        static let segmentDay = Array("segment_day".utf8)
        /// The log position the stored projections reflect, where directories written before the
        /// checkpoint moved into each keyspace (`projectionsCheckpoint`) keep it, read only when
        /// their keyspace has none; absent in a directory written before projections were written
        /// behind, whose projections reflect `last_seq`.
        static let projectionsThrough = Array("projections_through".utf8)
        /// Which of the two projection keyspaces is current: 0 (`projections`, also when absent) or 1.
        static let projectionKeyspace = Array("projection_keyspace".utf8)
        /// The fold that built the current projections (`ProjectionFold.fingerprint`); absent in a
        /// directory from before folds were fingerprinted, whose fold is `projection_version`'s.
        static let projectionFold = Array("projection_fold".utf8)
        /// `source_position/` ‖ a source's name: how far into its own log (a PostgreSQL LSN) the
        /// events it produced are committed, written in the same commit as those events.
        static func sourcePosition(_ source: String) -> [UInt8] { Array("source_position/\(source)".utf8) }
        /// The backup sets written into, as a JSON array of paths: each erasure is recorded in their ledgers.
        static let backupSets = Array("backup_sets".utf8)
    }

    enum LogEntryKind: UInt8 {
        case event = 1
        case tombstone = 2
    }

    static func subject(_ subject: UInt64) -> [UInt8] { bigEndian(subject) }

    static func event(subject: UInt64, seq: UInt64) -> [UInt8] { bigEndian(subject) + bigEndian(seq) }

    /// The first key after every event of `subject`.
    static func eventsEnd(subject: UInt64) -> [UInt8] { bigEndian(subject + 1) + bigEndian(0) }

    static func segmentMember(_ segment: String, subject: UInt64) -> [UInt8] { Array(segment.utf8) + [0] + bigEndian(subject) }

    static func segmentMembers(_ segment: String) -> (from: [UInt8], to: [UInt8]) { (Array(segment.utf8) + [0], Array(segment.utf8) + [1]) }

    /// Every subject's key in a projection keyspace (subjects are 8 bytes).
    static let allSubjects: (from: [UInt8], to: [UInt8]) = ([0], [UInt8](repeating: 0xFF, count: 9))

    /// In each projection keyspace, after every subject (`allSubjects`): the log position its
    /// projections reflect. Kept beside them, not in `meta`, because the write behind writes both
    /// without the write-ahead log, and of one column family's writes a crash keeps a prefix: the
    /// checkpoint that survives never claims a projection that did not.
    static let projectionsCheckpoint = allSubjects.to + Array("projections_through".utf8)

    static func logEntry(seq: UInt64) -> [UInt8] { bigEndian(seq) }

    static func snapshotEntry(snapshotSeq: UInt64, subject: UInt64) -> [UInt8] { bigEndian(snapshotSeq) + bigEndian(subject) }

    static func tombstoneByHash(_ hash: [UInt8]) -> [UInt8] { [UInt8(ascii: "h")] + hash }

    static func tombstoneBySubject(_ subject: UInt64) -> [UInt8] { [UInt8(ascii: "s")] + bigEndian(subject) }
    /// An identity an erased customer held (its keyed index key: no personal data).
    static func tombstoneByIdentity(_ identityKey: [UInt8]) -> [UInt8] { [UInt8(ascii: "i")] + identityKey }

    /// Every tombstone by customer hash (one per erased customer): what follows the `h` is the hash.
    static let tombstonesByHash: (from: [UInt8], to: [UInt8]) = ([UInt8(ascii: "h")], [UInt8(ascii: "h") + 1])
    /// Every erased identity: what follows the `i` is the identity's index key.
    static let tombstonesByIdentity: (from: [UInt8], to: [UInt8]) = ([UInt8(ascii: "i")], [UInt8(ascii: "i") + 1])
    /// Every key of the `merges` family (both kinds).
    static let allMerges: (from: [UInt8], to: [UInt8]) = ([0], [0xFF])

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func uint64(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64? {
        guard bytes.count >= offset + 8 else { return nil }
        return uint64(bytes[offset..<offset + 8])
    }
}
