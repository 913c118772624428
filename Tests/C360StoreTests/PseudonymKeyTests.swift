@testable import C360Store
import C360Core
import C360Model
import Testing

/// The keyed hashes in index keys and tombstones must never change for a given key and id: a
/// store written before a change would no longer find its customers, nor a privacy officer the
/// tombstone of an erased one. The expected values are Python's `hmac.new(key, message, sha256)`.
@Suite struct PseudonymKeyTests {
    let key = PseudonymKey(bytes: Array(0..<32))

    @Test("a customer id's hash is HMAC-SHA256 of \"customer\\0\" and the id, ASCII or not")
    func customerHash() {
        #expect(key.customerHash("cust_000042").hexString
            == "07a497e091bb611f3ef8cd1d8de94b0d6a96181922b6d23214e79ba83882cdd8")
        #expect(key.customerHash("kund_åäö_42").hexString
            == "09f9431b349444246bc208fcb158cae36181cc3a4d6f5bf5f7116957f30459e1")
    }

    @Test("an identity's index key is the first 16 bytes of HMAC-SHA256 of \"identity\\0\", its type's number, \"\\0\" and its normalised value")
    func identityIndexKey() {
        #expect(key.identityIndexKey(.init(type: .email, value: "ana@example.com")).hexString == "186061e2cfa1791229d4a3f3e07e40c2")
        #expect(key.identityIndexKey(.init(type: .email, value: " Ana@Example.com ")).hexString == "186061e2cfa1791229d4a3f3e07e40c2")
        #expect(key.identityIndexKey(.init(type: .cookieID, value: "ck_000042")).hexString == "b0448cf16d22cc937a1e073f421a0c5e")
        #expect(key.identityIndexKey(normalized: .init(type: .cookieID, value: "ck_000042")).hexString == "b0448cf16d22cc937a1e073f421a0c5e")
    }

    @Test("a customer's index key is the first 16 bytes of its hash")
    func customerIndexKey() {
        #expect(PseudonymKey.indexKey(customerHash: key.customerHash("cust_000042")).hexString == "07a497e091bb611f3ef8cd1d8de94b0d")
    }
}
