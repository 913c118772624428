public import C360Model

/// Normalisation and ordering of identities, so the same person's email written two ways is one identity.
public enum IdentityKey {
    /// The identity with its value normalised: emails lower-cased, every value trimmed of spaces.
    public static func normalized(_ identity: C360_V1_Identity) -> C360_V1_Identity {
        var normalized = identity
        let trimmed = identity.value.trimmingSpaces()
        normalized.value = identity.type == .email ? trimmed.lowercased() : trimmed
        return normalized
    }

    /// The order identities are kept in: by type, then value.
    public static func precedes(_ lhs: C360_V1_Identity, _ rhs: C360_V1_Identity) -> Bool {
        (lhs.type.rawValue, lhs.value) < (rhs.type.rawValue, rhs.value)
    }

    /// A short name for the identity type, as used on the command line: `email`, `phone`, ...
    public static func name(of type: C360_V1_IdentityType) -> String {
        switch type {
        case .email: "email"
        case .phone: "phone"
        case .cookieID: "cookie_id"
        case .deviceID: "device_id"
        case .loyaltyID: "loyalty_id"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }

    /// The identity type named `name` (`email`, `phone`, `cookie_id`, `device_id`, `loyalty_id`).
    public static func type(named name: String) -> C360_V1_IdentityType? {
        switch name {
        case "email": .email
        case "phone": .phone
        case "cookie_id", "cookie": .cookieID
        case "device_id", "device": .deviceID
        case "loyalty_id", "loyalty": .loyaltyID
        default: nil
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
