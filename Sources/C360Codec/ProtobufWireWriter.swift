import Foundation
public import SwiftProtobuf

/// Writes the protobuf wire format by hand: fields appended in the order they are given, with
/// proto3's rules for what is left out left to the caller. A nested message's length is written
/// after its contents: one byte is reserved and, when the message is 128 bytes or more, the
/// contents are moved along by the extra bytes of the length (a `memmove`, far cheaper than
/// measuring every message first as the generic encoders do).
///
/// Byte for byte what SwiftProtobuf writes for the same fields in the same order, which the codec's
/// property tests check.
public struct ProtobufWireWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 1_024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Wire types of the protobuf encoding.
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    @inline(__always)
    mutating func tag(_ field: Int, _ wireType: WireType) {
        varint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    // MARK: Fields, written whatever their value (presence is the caller's rule)

    @inline(__always)
    public mutating func uint64Field(_ field: Int, _ value: UInt64) {
        tag(field, .varint)
        varint(value)
    }

    /// int64, and int32 and enums (sign-extended to 64 bits, as the specification says).
    @inline(__always)
    public mutating func int64Field(_ field: Int, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    @inline(__always)
    public mutating func boolField(_ field: Int, _ value: Bool) {
        tag(field, .varint)
        bytes.append(value ? 1 : 0)
    }

    public mutating func doubleField(_ field: Int, _ value: Double) {
        tag(field, .fixed64)
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    public mutating func stringField(_ field: Int, _ value: String) {
        tag(field, .lengthDelimited)
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Bytes already in wire format (a message's unknown fields), appended as they are.
    public mutating func raw<Bytes: Sequence<UInt8>>(_ wire: Bytes) {
        bytes.append(contentsOf: wire)
    }

    /// A message's unknown fields, appended as they are. Nearly always empty; and `Data` appended
    /// as a `Sequence` goes byte by byte, which was a tenth of encoding a projection (perf).
    @inline(__always)
    public mutating func unknown(_ fields: UnknownStorage) {
        guard !fields.data.isEmpty else { return }
        fields.data.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// A nested message: its fields written by `body`, then its length put in front of them.
    public mutating func messageField(_ field: Int, _ body: (inout ProtobufWireWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        let start = bytes.count
        body(&self)
        let length = bytes.count - start
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var width = 1
        while UInt64(length) >> UInt64(7 * width) != 0 { width += 1 }
        let extra = width - 1
        bytes.append(contentsOf: repeatElement(0, count: extra))
        bytes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            // The regions overlap: copyMemory is a memmove.
            UnsafeMutableRawPointer(base + start + extra).copyMemory(from: base + start, byteCount: length)
            var value = UInt64(length)
            for index in 0..<width {
                base[lengthAt + index] = UInt8(truncatingIfNeeded: value) | (index < width - 1 ? 0x80 : 0)
                value >>= 7
            }
        }
    }
}
