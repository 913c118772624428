import Foundation
import Synchronization

/// A Bloom filter of the identity-index keys ever written: a key it was never given is certainly
/// not in the index, so the writer and lookups answer "no one" without asking RocksDB.
///
/// Most of the index's reads find nothing: the writer looks up every identity of an event before
/// it ties it (a new customer's all), a lookup every customer id before it was created. Measured
/// in bulk ingest of the default data set, every one of the 496,057 reads that reached RocksDB
/// found nothing — each a memtable and several files' own filters, about 5% of the server's CPU.
///
/// One 64-bit word per key (a blocked filter: one cache line read), six bits set in it, sixteen
/// bits per key at the capacity it was made for; past that capacity it answers "maybe"
/// more often, which costs a RocksDB read each and is never wrong. A deleted key (an erasure,
/// an identity untied) stays in it: a read that finds nothing, as without the filter.
///
/// Until `markFilled()` — the keys stored before it was made are read into it in the
/// background — it answers "maybe" to everything. Every method may be called from any thread:
/// the words are atomics, and a key is inserted before the batch that writes it is committed, so
/// a reader that can see the key in RocksDB finds it here too.
final class WrittenKeyFilter: @unchecked Sendable {
    // `@unchecked`: the words are only reached through `Atomic`'s operations.
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let wordCount: Int
    private let filled = Atomic<Bool>(false)

    /// A filter for about `capacity` keys (at least one word).
    init(capacity: Int) {
        wordCount = max(1, capacity.multipliedReportingOverflow(by: Self.bitsPerKey).partialValue / 64)
        // Zeroed pages come from the kernel as they are first written: a store that writes few
        // keys does not pay for the whole filter. Zero bits are an `Atomic<UInt64>` holding 0.
        // Only an exhausted memory fails here: the capacity is bounded (`FamilyKeyFilter.mostKeys`).
        guard let memory = calloc(wordCount, MemoryLayout<Atomic<UInt64>>.stride) else {
            fatalError("could not allocate \(wordCount * 8) bytes for a filter of the keys written to a column family")
        }
        words = memory.bindMemory(to: Atomic<UInt64>.self, capacity: wordCount)
    }

    deinit {
        free(words)
    }

    static let bitsPerKey = 16

    /// The bytes the filter takes.
    var bytes: Int { wordCount * 8 }

    /// Whether the keys stored before the filter was made are in it.
    var isFilled: Bool { filled.load(ordering: .acquiring) }

    /// Answers for every key from now on: every key stored before the filter was made is in it.
    func markFilled() {
        filled.store(true, ordering: .releasing)
    }

    func insert(_ key: [UInt8]) {
        let (word, bits) = place(of: key)
        words[word].bitwiseOr(bits, ordering: .relaxed)
    }

    /// `false` only for a key never inserted, once filled; `true` for every key inserted.
    func mayContain(_ key: [UInt8]) -> Bool {
        guard isFilled else { return true }
        let (word, bits) = place(of: key)
        return words[word].load(ordering: .relaxed) & bits == bits
    }

    /// The word a key's bits are in, and its bits.
    private func place(of key: [UInt8]) -> (word: Int, bits: UInt64) {
        let (first, second) = Self.hashes(of: key)
        // The high half of a 128-bit product maps the hash evenly onto [0, wordCount) without a division.
        let word = Int(truncatingIfNeeded: first.multipliedFullWidth(by: UInt64(wordCount)).high)
        var bits: UInt64 = 0
        for index in 0..<6 {
            bits |= 1 << ((second >> UInt64(index * 6)) & 63)
        }
        return (word, bits)
    }

    /// Two independent 64-bit hashes of `key`. Index keys are already keyed hashes
    /// (`PseudonymKey`); the mixing keeps the filter sound for any bytes.
    static func hashes(of key: [UInt8]) -> (UInt64, UInt64) {
        var first: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var second: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        key.withUnsafeBytes { bytes in
            var offset = 0
            while offset + 8 <= bytes.count {
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                first = mix(first ^ word)
                second = mix(second &+ word)
                offset += 8
            }
            if offset < bytes.count {
                var tail: UInt64 = 0
                for index in offset..<bytes.count { tail = tail << 8 | UInt64(bytes[index]) }
                first = mix(first ^ tail ^ 0xFF)
                second = mix(second &+ tail &+ 0xFF)
            }
        }
        return (mix(first), mix(second ^ first))
    }

    /// A 64-bit finalizer (SplitMix64's): every input bit moves every output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var value = value
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
