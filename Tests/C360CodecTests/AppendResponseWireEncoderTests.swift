import C360Codec
import C360Model
import SwiftProtobuf
import Testing

/// The append response's encoder writes what SwiftProtobuf writes, byte for byte: for random
/// responses with every kind of result (a oneof member at its default value among them), unknown
/// fields at every level, and none at all.
@Suite struct AppendResponseWireEncoderTests {
    @Test(arguments: 0..<400)
    func bytesAreSwiftProtobufs(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 340_000)
        var response = try random.withUnknownField(C360_V1_AppendEventsResponse.self)
        response.lastSeq = random.uint64()
        response.results = try (0..<random.int(0...5)).map { _ in
            var result = try random.withUnknownField(C360_V1_AppendResult.self)
            result.index = UInt32(truncatingIfNeeded: random.uint64())
            switch random.int(0...3) {
            case 0: result.seq = random.uint64()
            case 1: result.duplicateOfSeq = random.uint64()
            case 2:
                var error = try random.withUnknownField(C360_V1_AppendError.self)
                error.field = random.chance(50) ? random.string() : ""
                error.reason = random.string()
                error.code = random.chance(80) ? "INVALID_ARGUMENT" : ""
                result.error = error
            default: break
            }
            return result
        }
        #expect(AppendResponseWireEncoder.encode(response) == (try response.serializedBytes() as [UInt8]))
    }
}
