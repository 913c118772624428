public import C360Model

/// A stored identity resolution (`c360.store.v1.Resolution`) in its wire format, written byte for
/// byte as SwiftProtobuf writes the same message (`ResolutionWireWriterTests`) without its generic
/// machinery: the writer stores one for every event that links an identity, and SwiftProtobuf's
/// encoding was 0.8% of bulk ingest's samples (`perf`).
public enum ResolutionWireWriter {
    public static func encode(_ resolution: C360_Store_V1_Resolution) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: 128)
        for identity in resolution.linked { ProfileWireEncoder.write(1, identity, to: &writer) }
        for identity in resolution.unlinked { ProfileWireEncoder.write(2, identity, to: &writer) }
        for refusal in resolution.refused {
            let message = writer.beginMessage(3)
            if refusal.hasIdentity { ProfileWireEncoder.write(1, refusal.identity, to: &writer) }
            if refusal.reason.rawValue != 0 { writer.int64Field(2, Int64(refusal.reason.rawValue)) }
            writer.unknown(refusal.unknownFields)
            writer.endMessage(message)
        }
        for history in resolution.merged { write(4, history, to: &writer) }
        for history in resolution.unmerged { write(5, history, to: &writer) }
        writer.unknown(resolution.unknownFields)
        return writer.finish()
    }

    private static func write(_ field: Int, _ history: C360_Store_V1_MergedHistory, to writer: inout ProtobufWireWriter) {
        let message = writer.beginMessage(field)
        if history.subject != 0 { writer.uint64Field(1, history.subject) }
        for identity in history.identities { ProfileWireEncoder.write(2, identity, to: &writer) }
        writer.unknown(history.unknownFields)
        writer.endMessage(message)
    }
}
