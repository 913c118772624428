import Crypto

/// A fingerprint of a set of projections: SHA-256 over every (subject, encoded projection) pair
/// in subject order. Two stores whose projections are equal byte for byte have equal digests.
public struct ProjectionDigest: Hashable, Sendable, CustomStringConvertible {
    /// Hex SHA-256.
    public let hex: String
    /// How many projections it covers.
    public let count: UInt64

    public var description: String { "\(hex) (\(count) projections)" }

    /// Accumulates projections in subject order.
    struct Builder {
        private var hasher = SHA256()
        private(set) var count: UInt64 = 0

        mutating func add(subjectKey: [UInt8], projection: [UInt8]) {
            hasher.update(data: subjectKey)
            hasher.update(data: StoreKeys.bigEndian(UInt64(projection.count)))
            hasher.update(data: projection)
            count += 1
        }

        func finish() -> ProjectionDigest {
            ProjectionDigest(hex: Array(hasher.finalize()).hexString, count: count)
        }
    }
}
