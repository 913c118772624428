public import C360Model

/// An `AppendEventsResponse` in its wire format, written byte for byte as SwiftProtobuf writes
/// the same message (`AppendResponseWireEncoderTests`) without its generic visitor: every append
/// call answers with one result per event, and SwiftProtobuf's encoding of them was 0.6% of bulk
/// ingest's server samples (`perf`).
public enum AppendResponseWireEncoder {
    public static func encode(_ response: C360_V1_AppendEventsResponse) -> [UInt8] {
        // A result is 6-14 bytes unless it is an error.
        var writer = ProtobufWireWriter(capacity: 16 + response.results.count * 14)
        for result in response.results {
            let message = writer.beginMessage(1)
            if result.index != 0 { writer.uint64Field(1, UInt64(result.index)) }
            // A oneof's member is written even at its default value: it says which one is set.
            switch result.result {
            case .seq(let seq)?: writer.uint64Field(2, seq)
            case .duplicateOfSeq(let seq)?: writer.uint64Field(3, seq)
            case .error(let error)?:
                let nested = writer.beginMessage(4)
                if !error.field.isEmpty { writer.stringField(1, error.field) }
                if !error.reason.isEmpty { writer.stringField(2, error.reason) }
                if !error.code.isEmpty { writer.stringField(3, error.code) }
                writer.unknown(error.unknownFields)
                writer.endMessage(nested)
            case nil: break
            }
            writer.unknown(result.unknownFields)
            writer.endMessage(message)
        }
        if response.lastSeq != 0 { writer.uint64Field(2, response.lastSeq) }
        writer.unknown(response.unknownFields)
        return writer.finish()
    }
}
