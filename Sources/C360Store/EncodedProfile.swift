import C360Codec
public import C360Core

/// A lookup's answer: a customer's profile evaluated and encoded, as of a time.
public struct EncodedProfile: Sendable {
    let evaluated: EvaluatedProfile
    /// The time the profile is answered as of.
    public let asOf: Instant

    /// The bytes of a `GetProfileResponse` holding the profile.
    public var getProfileResponse: [UInt8] { evaluated.encoded.getProfileResponse(asOf: asOf) }

    /// The bytes of the `Profile` message.
    public var profile: [UInt8] { evaluated.encoded.profile(asOf: asOf) }
}

/// A profile evaluated from a projection, kept for the lookups that follow: it answers for any
/// time from the one it was evaluated at until `ProfileEvaluator.unchangedUntil`, with that time
/// written in as `as_of`, while its customer's projection stays as it was.
struct EvaluatedProfile: Sendable {
    let encoded: ProfileWithoutAsOf
    let evaluatedAt: Instant
    let unchangedUntil: Instant

    func holds(at instant: Instant) -> Bool {
        evaluatedAt <= instant && instant < unchangedUntil
    }

    /// Which of a customer's evaluated profiles: with the personal fields or without.
    struct Key: Hashable, Sendable {
        let subject: UInt64
        let redacted: Bool
    }
}
