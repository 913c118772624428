public import C360Model

/// A named predicate over profile fields: a customer is a member while every condition holds.
///
/// Conditions are written `field operator value`, for example `recent_product_views > 10`,
/// `loyalty_tier in [gold, platinum]`, `churn_risk == true`. Operators: `==`, `!=`, `<`, `<=`, `>`,
/// `>=` (numbers), `in` and `not_in` (a list of names). A condition on a value the profile does not
/// have (no orders for `days_since_last_order`) does not hold.
public struct Segment: Sendable, Equatable {
    public var name: String
    public var description: String
    public var conditions: [Condition]

    public struct Condition: Sendable, Equatable, CustomStringConvertible {
        public var field: ProfileField
        public var comparison: Comparison
        public var description: String
    }

    public enum Comparison: Sendable, Equatable {
        case equal(SegmentValue), notEqual(SegmentValue)
        case less(Double), lessOrEqual(Double), greater(Double), greaterOrEqual(Double)
        case oneOf([String]), noneOf([String])
    }

    /// Parses a segment's conditions.
    /// - Throws: `C360Error` `.invalidArgument` naming `segments.NAME` and what is wrong.
    public init(name: String, description: String = "", conditions: [String]) throws(C360Error) {
        let key = "segments.\(name)"
        guard !name.isEmpty, name.utf8.count <= 64,
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
            throw .invalid(key, "a segment name is 1 to 64 characters of a-z, 0-9, _ and -")
        }
        guard !conditions.isEmpty else { throw .invalid(key, "needs at least one condition") }
        self.name = name
        self.description = description
        self.conditions = try conditions.map { text throws(C360Error) in try Self.parse(text, key: key) }
    }

    static func parse(_ text: String, key: String) throws(C360Error) -> Condition {
        let trimmed = text.trimmingSpaces()
        let parts = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3 else {
            throw .invalid(key, "\"\(text)\" is not `field operator value`")
        }
        guard let field = ProfileField(rawValue: parts[0]) else {
            throw .invalid(key, "\"\(parts[0])\" is not a profile field; fields: \(ProfileField.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let operation = parts[1], operand = parts[2].trimmingSpaces()
        func number() throws(C360Error) -> Double {
            guard field.kind == .number else { throw .invalid(key, "\(field.rawValue) is not a number: use ==, !=, in or not_in") }
            guard let value = Double(operand), value.isFinite else { throw .invalid(key, "\"\(operand)\" in \"\(text)\" is not a number") }
            return value
        }
        func names() throws(C360Error) -> [String] {
            guard field.kind == .name else { throw .invalid(key, "\(field.rawValue) is not a name: in and not_in take names") }
            guard operand.hasPrefix("["), operand.hasSuffix("]") else { throw .invalid(key, "\(operation) takes a list: [a, b]") }
            let list = operand.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw .invalid(key, "\(operation) needs at least one name") }
            return list
        }
        func single() throws(C360Error) -> SegmentValue {
            switch field.kind {
            case .number: return .number(try number())
            case .name: return .name(operand.lowercased())
            case .flag:
                guard operand == "true" || operand == "false" else { throw .invalid(key, "\(field.rawValue) is true or false, not \"\(operand)\"") }
                return .flag(operand == "true")
            }
        }
        let comparison: Comparison
        switch operation {
        case "==": comparison = .equal(try single())
        case "!=": comparison = .notEqual(try single())
        case "<": comparison = .less(try number())
        case "<=": comparison = .lessOrEqual(try number())
        case ">": comparison = .greater(try number())
        case ">=": comparison = .greaterOrEqual(try number())
        case "in": comparison = .oneOf(try names())
        case "not_in": comparison = .noneOf(try names())
        default: throw .invalid(key, "\"\(operation)\" is not an operator; operators: == != < <= > >= in not_in")
        }
        return Condition(field: field, comparison: comparison, description: trimmed)
    }

    /// Whether `profile` is a member.
    public func contains(_ profile: Profile) -> Bool {
        conditions.allSatisfy { condition in
            guard let value = condition.field.value(in: profile) else { return false }
            switch (condition.comparison, value) {
            case (.equal(let expected), _): return value == expected
            case (.notEqual(let expected), _): return value != expected
            case (.less(let limit), .number(let number)): return number < limit
            case (.lessOrEqual(let limit), .number(let number)): return number <= limit
            case (.greater(let limit), .number(let number)): return number > limit
            case (.greaterOrEqual(let limit), .number(let number)): return number >= limit
            case (.oneOf(let names), .name(let name)): return names.contains(name)
            case (.noneOf(let names), .name(let name)): return !names.contains(name)
            default: return false
            }
        }
    }

    /// The segments c360 ships as examples (and in `ops/c360.example.yaml`). `try!` only parses
    /// these literals, never input; a test parses them against the example file.
    public static let examples: [Segment] = [
        try! Segment(name: "vip_at_risk", description: "Gold or platinum customers drifting away",
                     conditions: ["loyalty_tier in [gold, platinum]", "lifecycle_stage in [at_risk, lapsing]"]),
        try! Segment(name: "high_intent", description: "Browsing a lot, ordering little",
                     conditions: ["recent_product_views > 10", "total_orders < 2"]),
        try! Segment(name: "big_spender", description: "Lifetime value of at least 1,000",
                     conditions: ["lifetime_value >= 1000"]),
    ]
}
