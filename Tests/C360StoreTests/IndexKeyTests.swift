@testable import C360Store
import C360Generator
import Testing

/// Index keys as the writer's table keys: the same bytes are the same key, whatever array holds
/// them, and different bytes (a different length included) are different keys.
@Suite struct IndexKeyTests {
    @Test("a table keyed by IndexKey answers as one keyed by the byte arrays themselves", arguments: 0..<20)
    func matchesByteArrayKeys(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        var byKey: [IndexKey: Int] = [:]
        var byBytes: [[UInt8]: Int] = [:]
        for step in 0..<2_000 {
            // Short keys over two byte values, so that equal keys, prefixes and same-length
            // neighbours all come up.
            let bytes = (0..<Int(random.next() % 5)).map { _ in UInt8(random.next() % 2) }
            if random.next() % 2 == 0 {
                byKey[IndexKey(bytes)] = step
                byBytes[bytes] = step
            } else {
                #expect(byKey[IndexKey(Array(bytes))] == byBytes[bytes])
            }
        }
        #expect(byKey.count == byBytes.count)
    }

    @Test("equal bytes hash alike; a prefix or another byte is another key")
    func equality() {
        let key: [UInt8] = [0x63] + Array(repeating: 0xAB, count: 32)
        #expect(IndexKey(key) == IndexKey(Array(key)))
        #expect(IndexKey(key).hashValue == IndexKey(Array(key)).hashValue)
        #expect(IndexKey(key) != IndexKey(Array(key.dropLast())))
        var other = key
        other[5] = 0
        #expect(IndexKey(key) != IndexKey(other))
    }
}
