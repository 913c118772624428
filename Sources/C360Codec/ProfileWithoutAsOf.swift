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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ProfileWireEncoder.timestampFieldCapacity) { asOfField in
            let fieldLength = ProfileWireEncoder.timestampField(9, asOf, at: asOfField.baseAddress!)
            let profileLength = bytes.count + fieldLength
            let total = inGetProfileResponse ? 1 + Varint.length(UInt64(profileLength)) + profileLength : profileLength
            return [UInt8](unsafeUninitializedCapacity: total) { output, initialized in
                var at = 0
                if inGetProfileResponse {
                    output[at] = 1 << 3 | 2
                    at += 1
                    at += Varint.write(UInt64(profileLength), at: output.baseAddress! + at)
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
}
