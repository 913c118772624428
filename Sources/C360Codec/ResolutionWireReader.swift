/// What a stored identity resolution (`c360.store.v1.Resolution`) moved, read from its bytes: the
/// anonymous subjects it merged into its customer and those it took out again. Everything else
/// (identities linked, unlinked and refused, each history's identities) is stepped over, so that
/// a replay, which reads every resolution in the log to learn whose histories fold into whose
/// projection, does not decode them (SwiftProtobuf's decoding was most of that step: `perf`).
/// Equal to the subjects of the message SwiftProtobuf reads, which the property tests check.
public enum ResolutionWireReader {
    public struct MovedHistories: Equatable, Sendable {
        public var merged: [UInt64] = []
        public var unmerged: [UInt64] = []
        public init() {}
    }

    public static func movedHistories(_ bytes: [UInt8]) throws(ProtobufWireError) -> MovedHistories {
        try bytes.decoded(by: movedHistories)
    }

    public static func movedHistories(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> MovedHistories {
        var reader = ProtobufWireReader(bytes)
        var moved = MovedHistories()
        while true {
            let fieldStart = reader.offset
            guard let (number, wireType) = try reader.nextField() else { break }
            switch (number, wireType) {
            case (4, .lengthDelimited): moved.merged.append(try subject(&reader))
            case (5, .lengthDelimited): moved.unmerged.append(try subject(&reader))
            default: _ = try reader.skip(wireType, number: number, fieldStart: fieldStart)
            }
        }
        return moved
    }

    /// A `MergedHistory`'s subject (its last, if the field repeats, as protobuf reads a scalar).
    private static func subject(_ reader: inout ProtobufWireReader) throws(ProtobufWireError) -> UInt64 {
        var history = try reader.nested()
        var subject: UInt64 = 0
        while true {
            let fieldStart = history.offset
            guard let (number, wireType) = try history.nextField() else { break }
            if number == 1, wireType == .varint {
                subject = try history.varint()
            } else {
                _ = try history.skip(wireType, number: number, fieldStart: fieldStart)
            }
        }
        return subject
    }
}
