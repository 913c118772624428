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
        var writer = ProtobufWireWriter(capacity: bytes.count + 16)
        write(asOf: asOf, to: &writer)
        return writer.finish()
    }

    /// A `GetProfileResponse` holding the profile as of `asOf`.
    public func getProfileResponse(asOf: Instant) -> [UInt8] {
        var writer = ProtobufWireWriter(capacity: bytes.count + 24)
        let message = writer.beginMessage(1)
        write(asOf: asOf, to: &writer)
        writer.endMessage(message)
        return writer.finish()
    }

    func write(asOf: Instant, to writer: inout ProtobufWireWriter) {
        writer.raw(bytes[..<asOfOffset])
        ProfileWireEncoder.write(9, asOf, to: &writer)
        writer.raw(bytes[asOfOffset...])
    }
}
