public import C360Core

/// A profile's bytes without its `as_of` (field 9), and where that field goes. A lookup answered
/// with a profile evaluated earlier (it holds until `ProfileEvaluator.unchangedUntil`) writes the
/// time it answers as of into them, and the result is byte for byte what encoding the whole
/// profile gives.
public struct ProfileWithoutAsOf: Sendable {
    /// Fields 1 to 8, then 10 to 15.
    public let bytes: [UInt8]
    /// Where fields 10 and on start.
    let asOfOffset: Int

    public init(_ profile: Profile) {
        var writer = ProtobufWireWriter(capacity: 1_024)
        ProfileWireEncoder.writeBeforeAsOf(profile, to: &writer)
        asOfOffset = writer.count
        ProfileWireEncoder.writeAfterAsOf(profile, to: &writer)
        bytes = writer.finish()
    }

    /// The whole profile's bytes, as of `asOf`.
    public func profile(asOf: Instant) -> [UInt8] {
        assemble(asOf: asOf, inGetProfileResponse: false)
    }

    /// A `GetProfileResponse` holding the profile as of `asOf`.
    public func getProfileResponse(asOf: Instant) -> [UInt8] {
        assemble(asOf: asOf, inGetProfileResponse: true)
    }

    /// The profile's bytes with `as_of` written in, alone or as a `GetProfileResponse`'s field 1,
    /// into one array of the exact size: a lookup's answer allocated and copied once.
    private func assemble(asOf: Instant, inGetProfileResponse: Bool) -> [UInt8] {
        // Field 9, a Timestamp: at most 1 + 1 + (1 + 10) + (1 + 5) bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { asOfField in
            let (seconds, nanos) = asOf.secondsAndNanos
            var timestampLength = 0
            if seconds != 0 { timestampLength += 1 + Self.varintLength(UInt64(bitPattern: seconds)) }
            if nanos != 0 { timestampLength += 1 + Self.varintLength(UInt64(nanos)) }
            var fieldLength = 0
            asOfField[fieldLength] = 9 << 3 | 2
            fieldLength += 1
            fieldLength += Self.writeVarint(UInt64(timestampLength), into: asOfField, at: fieldLength)
            if seconds != 0 {
                asOfField[fieldLength] = 1 << 3
                fieldLength += 1
                fieldLength += Self.writeVarint(UInt64(bitPattern: seconds), into: asOfField, at: fieldLength)
            }
            if nanos != 0 {
                asOfField[fieldLength] = 2 << 3
                fieldLength += 1
                fieldLength += Self.writeVarint(UInt64(nanos), into: asOfField, at: fieldLength)
            }
            let profileLength = bytes.count + fieldLength
            let total = inGetProfileResponse ? 1 + Self.varintLength(UInt64(profileLength)) + profileLength : profileLength
            return [UInt8](unsafeUninitializedCapacity: total) { output, initialized in
                var at = 0
                if inGetProfileResponse {
                    output[at] = 1 << 3 | 2
                    at += 1
                    at += Self.writeVarint(UInt64(profileLength), into: output, at: at)
                }
                bytes.withUnsafeBufferPointer { stored in
                    let before = UnsafeBufferPointer(rebasing: stored[..<asOfOffset])
                    let after = UnsafeBufferPointer(rebasing: stored[asOfOffset...])
                    at = UnsafeMutableBufferPointer(rebasing: output[at...]).initialize(fromContentsOf: before) + at
                    at = UnsafeMutableBufferPointer(rebasing: output[at...])
                        .initialize(fromContentsOf: UnsafeBufferPointer(rebasing: asOfField[..<fieldLength])) + at
                    at = UnsafeMutableBufferPointer(rebasing: output[at...]).initialize(fromContentsOf: after) + at
                }
                initialized = at
            }
        }
    }

    private static func varintLength(_ value: UInt64) -> Int {
        var value = value >> 7
        var length = 1
        while value != 0 {
            value >>= 7
            length += 1
        }
        return length
    }

    /// Writes `value` as a varint at `offset`; returns its length.
    private static func writeVarint(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        var value = value
        var at = offset
        while value >= 0x80 {
            buffer[at] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            at += 1
        }
        buffer[at] = UInt8(value)
        return at + 1 - offset
    }
}
