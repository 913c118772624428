import C360Core
import C360Model
import Crypto

/// The secret of one data directory that turns customer ids and identities into keyed hashes.
///
/// Index keys and tombstones carry these hashes instead of the values themselves, so no key of the
/// store holds personal data; a privacy officer who knows a customer id can still check its
/// tombstone through `EventStore.tombstone(customerID:)`.
// @unchecked Sendable: `keyed` is an HMAC value that has absorbed the key and is only ever copied,
// never mutated in place, so sharing it between threads is safe.
struct PseudonymKey: @unchecked Sendable {
    /// An HMAC that has absorbed the key: each hash copies it and feeds the message, sparing the
    /// key schedule on every event.
    private let keyed: HMAC<SHA256>

    init(bytes: [UInt8]) {
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: bytes))
    }

    static func generate() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// HMAC-SHA256 of `prefix` followed by `value`'s UTF-8, written into one buffer: the message was
    /// a `String` made by interpolation, copied into an array, and the digest read out byte by byte
    /// (`perf` of bulk ingest: the keyed hashes were a sixth of preparing an event).
    private func hash(_ prefix: [UInt8], _ value: String) -> [UInt8] {
        var message = prefix
        message.append(contentsOf: value.utf8)
        var hmac = keyed
        hmac.update(data: message)
        return hmac.finalize().withUnsafeBytes { Array($0) }
    }

    private static let customerPrefix = Array("customer\0".utf8)

    /// HMAC-SHA256 of the customer id: the tombstone's `customer_hash`.
    func customerHash(_ customerID: String) -> [UInt8] {
        hash(Self.customerPrefix, customerID)
    }

    /// The index key of a customer id whose `customerHash` is known: its first 16 bytes.
    static func indexKey(customerHash: [UInt8]) -> [UInt8] {
        Array(customerHash.prefix(16))
    }

    /// The index key of an identity, after normalisation.
    func identityIndexKey(_ identity: C360_V1_Identity) -> [UInt8] {
        identityIndexKey(normalized: IdentityKey.normalized(identity))
    }

    /// The index key of an identity already normalised (`IdentityKey.normalized`).
    func identityIndexKey(normalized identity: C360_V1_Identity) -> [UInt8] {
        let prefix = Array("identity\0\(identity.type.rawValue)\0".utf8)
        return Array(hash(prefix, identity.value).prefix(16))
    }
}

extension Array where Element == UInt8 {
    /// The bytes `hex` spells (two lower- or upper-case digits a byte), or `nil` if it is not hex.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }

    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
