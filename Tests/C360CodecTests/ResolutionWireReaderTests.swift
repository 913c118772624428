import C360Codec
import C360Model
import SwiftProtobuf
import Testing

/// The resolution reader finds the histories SwiftProtobuf's message holds: for random
/// resolutions of every kind of entry, with unknown fields among them and concatenations
/// (repeated fields appended), and for damaged bytes it either refuses or agrees.
@Suite struct ResolutionWireReaderTests {
    @Test(arguments: 0..<400)
    func movedHistoriesAreTheMessagesSubjects(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 310_000)
        var bytes: [UInt8] = []
        for _ in 0..<random.int(1...3) {
            bytes += try random.resolution().serializedBytes() as [UInt8]
            if random.chance(30) { bytes += random.unknownField() }
        }
        let reference = try C360_Store_V1_Resolution(serializedBytes: bytes)
        let moved = try ResolutionWireReader.movedHistories(bytes)
        #expect(moved.merged == reference.merged.map(\.subject))
        #expect(moved.unmerged == reference.unmerged.map(\.subject))
    }

    @Test(arguments: 0..<1_000)
    func damagedBytesAreRefusedOrReadAlike(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 320_000)
        var bytes: [UInt8] = try random.resolution().serializedBytes()
        switch random.int(0...2) {
        case 0 where !bytes.isEmpty: bytes[random.int(0...bytes.count - 1)] = UInt8(random.int(0...255))
        case 1 where !bytes.isEmpty: bytes.removeLast(random.int(1...bytes.count))
        default: bytes.insert(UInt8(random.int(0...255)), at: random.int(0...bytes.count))
        }
        let moved = try? ResolutionWireReader.movedHistories(bytes)
        // It steps over what it does not read, so it may take bytes SwiftProtobuf refuses; when
        // SwiftProtobuf reads them, both read the same subjects.
        if let reference = try? C360_Store_V1_Resolution(serializedBytes: bytes) {
            #expect(moved?.merged == reference.merged.map(\.subject), "bytes \(bytes)")
            #expect(moved?.unmerged == reference.unmerged.map(\.subject), "bytes \(bytes)")
        }
    }
}

extension Random {
    mutating func resolution() throws -> C360_Store_V1_Resolution {
        var resolution = C360_Store_V1_Resolution()
        resolution.linked = try (0..<int(0...2)).map { _ in try identity() }
        resolution.unlinked = try (0..<int(0...2)).map { _ in try identity() }
        resolution.refused = try (0..<int(0...2)).map { _ in
            var refusal = C360_Store_V1_Refusal()
            refusal.identity = try identity()
            refusal.reason = C360_Store_V1_RefusalReason(rawValue: enumValue()) ?? .unspecified
            return refusal
        }
        func history() throws -> C360_Store_V1_MergedHistory {
            var history = C360_Store_V1_MergedHistory()
            history.subject = uint64()
            history.identities = try (0..<int(0...3)).map { _ in try identity() }
            return history
        }
        resolution.merged = try (0..<int(0...3)).map { _ in try history() }
        resolution.unmerged = try (0..<int(0...2)).map { _ in try history() }
        return resolution
    }
}
