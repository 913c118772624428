/// A keyed hash (`PseudonymKey`) — an identity-index key, or an erased customer's hashed id — as
/// the key of the writer's in-memory tables and sets.
///
/// `[UInt8]`'s own `Hashable` feeds the hasher one byte at a time; this hashes the key as one run
/// of bytes (`perf` of bulk ingest: hashing index keys byte by byte was about 1.5% of the server's
/// CPU, in the writer's index cache and each commit's table of the keys it read).
struct IndexKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (left: IndexKey, right: IndexKey) -> Bool {
        left.bytes == right.bytes
    }
}
