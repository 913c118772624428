import C360Codec
import C360Model
import SwiftProtobuf
import Testing

/// The resolution writer writes what SwiftProtobuf writes, byte for byte: for random resolutions
/// of every kind of entry (`Random.resolution`), and with unknown fields kept from a decoded one.
@Suite struct ResolutionWireWriterTests {
    @Test(arguments: 0..<400)
    func bytesAreSwiftProtobufs(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 330_000)
        var resolution = try random.resolution()
        if random.chance(30) {
            // Unknown fields survive a decode: SwiftProtobuf writes them at the message's end.
            resolution = try C360_Store_V1_Resolution(serializedBytes: try resolution.serializedBytes() as [UInt8] + random.unknownField())
        }
        #expect(ResolutionWireWriter.encode(resolution) == (try resolution.serializedBytes() as [UInt8]))
    }

    @Test func anEmptyResolutionIsNoBytes() {
        #expect(ResolutionWireWriter.encode(C360_Store_V1_Resolution()).isEmpty)
    }
}
