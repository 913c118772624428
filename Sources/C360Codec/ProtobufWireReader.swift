/// Why bytes are not a protobuf message.
public struct ProtobufWireError: Error, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case truncated, malformedVarint, invalidFieldNumber, wrongWireType, invalidUTF8, unmatchedGroup
    }

    public var reason: Reason
    /// Where in the message the problem was found.
    public var offset: Int

    public var description: String { "\(reason) at byte \(offset)" }
}

/// Reads the protobuf wire format by hand over a borrowed buffer: fields one at a time, each value
/// checked against the buffer's end (never a read past it), strings validated as UTF-8. What a
/// field means is the caller's business; a field the caller does not know is skipped and its bytes
/// handed back so that it can be kept.
public struct ProtobufWireReader: ~Copyable {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
    }

    private init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) {
        self.bytes = bytes
        offset = start
        self.end = end
    }

    var isAtEnd: Bool { offset >= end }

    /// The bytes not read yet: a nested message's own, before it is read.
    var unread: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset..<end]) }

    func failure(_ reason: ProtobufWireError.Reason) -> ProtobufWireError {
        ProtobufWireError(reason: reason, offset: offset)
    }

    /// The next field's number and wire type, or nil at the end. A field's key is a varint of at
    /// most five bytes holding 32 bits, as SwiftProtobuf reads it (inside a group, any varint
    /// below 2³², as SwiftProtobuf reads those); field number 0 is not one.
    mutating func nextField(inGroup: Bool = false) throws(ProtobufWireError) -> (number: Int, wireType: WireType)? {
        guard offset < end else { return nil }
        let key: UInt64
        if inGroup {
            key = try varint()
            guard key < UInt64(UInt32.max) else { throw failure(.invalidFieldNumber) }
        } else {
            var value: UInt64 = 0
            var index = 0
            while true {
                guard offset < end else { throw failure(.truncated) }
                let byte = bytes[offset]
                offset += 1
                if index == 4 {
                    guard byte <= 15 else { throw failure(.malformedVarint) }
                    value |= UInt64(byte) << 28
                    break
                }
                value |= UInt64(byte & 0x7F) << UInt64(7 * index)
                if byte < 0x80 { break }
                index += 1
            }
            key = value
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else { throw failure(.wrongWireType) }
        let number = key >> 3
        guard number >= 1 else { throw failure(.invalidFieldNumber) }
        return (Int(number), wireType)
    }

    @inline(__always)
    mutating func varint() throws(ProtobufWireError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw failure(.truncated) }
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            // Ten bytes at most; the tenth's bits past 64 are dropped, as SwiftProtobuf does.
            guard shift <= 63 else { throw failure(.malformedVarint) }
        }
    }

    mutating func fixed64() throws(ProtobufWireError) -> UInt64 {
        guard end - offset >= 8 else { throw failure(.truncated) }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return value
    }

    mutating func fixed32() throws(ProtobufWireError) -> UInt32 {
        guard end - offset >= 4 else { throw failure(.truncated) }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
        offset += 4
        return value
    }

    /// The range of a length-delimited value, after its length.
    mutating func lengthDelimited() throws(ProtobufWireError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - offset) else { throw failure(.truncated) }
        let start = offset
        offset += Int(length)
        return start..<offset
    }

    mutating func string() throws(ProtobufWireError) -> String {
        let range = try lengthDelimited()
        return try Self.text(UnsafeRawBufferPointer(rebasing: bytes[range]), at: range.lowerBound)
    }

    /// A string field of catalogue text that many records repeat (`StringInterner`): the one copy
    /// kept of it when there is one.
    mutating func internedString() throws(ProtobufWireError) -> String {
        let range = try lengthDelimited()
        return try StringInterner.shared.string(UnsafeRawBufferPointer(rebasing: bytes[range])) { (utf8) throws(ProtobufWireError) in
            try Self.text(utf8, at: range.lowerBound)
        }
    }

    private static func text(_ raw: UnsafeRawBufferPointer, at offset: Int) throws(ProtobufWireError) -> String {
        let utf8 = raw.bindMemory(to: UInt8.self)
        // ASCII needs no validation, and `String(validating:as:)` is generic over the encoding and
        // not specialised in the standard library: its metadata lookups were a tenth of decoding a
        // projection (perf).
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw ProtobufWireError(reason: .invalidUTF8, offset: offset)
        }
        return string
    }

    mutating func bytesValue() throws(ProtobufWireError) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: bytes[try lengthDelimited()]))
    }

    /// A reader over a length-delimited value: a nested message.
    mutating func nested() throws(ProtobufWireError) -> ProtobufWireReader {
        let range = try lengthDelimited()
        return ProtobufWireReader(bytes, from: range.lowerBound, to: range.upperBound)
    }

    /// How many values of the repeated length-delimited field `number` follow one another from
    /// here, where the first one's key was just read: what its array is given room for before they
    /// are read, instead of doubling as they are appended (a decoded projection kept in memory
    /// carried that slack). Malformed bytes end the count; reading the values reports them.
    func countOfRun(number: Int) -> Int {
        var probe = ProtobufWireReader(bytes, from: offset, to: end)
        var count = 0
        while (try? probe.lengthDelimited()) != nil {
            count += 1
            guard let next = try? probe.nextField(), next.number == number, next.wireType == .lengthDelimited else { return count }
        }
        return max(count, 1)
    }

    /// Skips the value of a field the caller does not know; returns the field's whole bytes (its
    /// key included, which started at `fieldStart`) so that they can be kept as unknown fields.
    mutating func skip(_ wireType: WireType, number: Int, fieldStart: Int) throws(ProtobufWireError) -> UnsafeRawBufferPointer {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup:
            while true {
                guard let (inner, innerType) = try nextField(inGroup: true) else { throw failure(.truncated) }
                if innerType == .endGroup {
                    guard inner == number else { throw failure(.unmatchedGroup) }
                    break
                }
                _ = try skip(innerType, number: inner, fieldStart: offset)
            }
        case .endGroup:
            throw failure(.unmatchedGroup)
        }
        return UnsafeRawBufferPointer(rebasing: bytes[fieldStart..<offset])
    }

    /// Checks that a known field came with the wire type its declaration gives it.
    @inline(__always)
    func expect(_ wireType: WireType, _ expected: WireType) throws(ProtobufWireError) {
        guard wireType == expected else { throw failure(.wrongWireType) }
    }
}

extension Array where Element == UInt8 {
    /// `decode` over the array's bytes: the `[UInt8]` form of each decoder's entry point.
    func decoded<Value>(by decode: (UnsafeRawBufferPointer) throws(ProtobufWireError) -> Value) throws(ProtobufWireError) -> Value {
        let result = withUnsafeBytes { raw in Result { () throws(ProtobufWireError) in try decode(raw) } }
        return try result.get()
    }
}
