public import C360Core
import Foundation
import Yams

extension Mapping {
    /// Reads a mapping from YAML and checks it whole: every rule, condition and field, every
    /// event field name and enum value, every time zone.
    /// - Throws: `C360Error` `.invalidArgument` naming the rule, the key and the line at fault.
    public init(yaml text: String) throws(C360Error) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw C360Error(.invalidArgument, "the mapping is not valid YAML: \(error)")
        }
        guard let root, let top = root.mapping else { throw C360Error(.invalidArgument, "a mapping is a YAML mapping with `mapping:` (its name) and `rules:`") }
        var name: String?
        var zone: TimeZone?
        var rulesNode: Node?
        for (key, value) in top {
            switch key.string {
            case "mapping": name = try Self.scalar(value, "mapping")
            case "time_zone": zone = try Self.zone(value, "time_zone")
            case "rules": rulesNode = value
            default: throw Self.problem(key, "unknown key \(key.string ?? "?") (a mapping has mapping, time_zone and rules)")
            }
        }
        guard let name, !name.isEmpty else { throw C360Error(.invalidArgument, "the mapping needs a name: `mapping: NAME`") }
        guard let rulesNode, case .sequence(let sequence) = rulesNode, !sequence.isEmpty else {
            throw C360Error(.invalidArgument, "mapping \(name): `rules:` must be a list of at least one rule")
        }
        var parser = Parser(defaultZone: zone)
        var rules: [Rule] = []
        for node in sequence {
            let rule = try parser.rule(node, index: rules.count + 1)
            guard !rules.contains(where: { $0.name == rule.name }) else { throw Self.problem(node, "two rules are named \"\(rule.name)\"") }
            rules.append(rule)
        }
        self.name = name
        self.rules = rules
    }

    static func problem(_ node: Node, _ message: String) -> C360Error {
        C360Error(.invalidArgument, (node.mark.map { "line \($0.line): " } ?? "") + message)
    }

    static func scalar(_ node: Node, _ key: String) throws(C360Error) -> String {
        guard let scalar = node.scalar else { throw problem(node, "\(key) must be a single value") }
        return scalar.string
    }

    static func zone(_ node: Node, _ key: String) throws(C360Error) -> TimeZone {
        let identifier = try scalar(node, key)
        guard let zone = TimeZone(identifier: identifier) else { throw problem(node, "\(key): \(identifier) is not a time zone (as Europe/London or UTC)") }
        return zone
    }

    struct Parser {
        let defaultZone: TimeZone?
        var rule = ""

        func problem(_ node: Node, _ message: String) -> C360Error {
            C360Error(.invalidArgument, (node.mark.map { "line \($0.line): " } ?? "") + "rule \"\(rule)\": " + message)
        }

        mutating func rule(_ node: Node, index: Int) throws(C360Error) -> Rule {
            guard let fields = node.mapping else { throw Mapping.problem(node, "rule \(index) must be a mapping with name, when and event(s) or skip") }
            rule = fields["name"]?.scalar?.string ?? "\(index)"
            var conditions: [Condition] = []
            var outcome: Outcome?
            for (key, value) in fields {
                switch key.string {
                case "name": break
                case "when": conditions = try self.conditions(value)
                case "event", "events":
                    guard outcome == nil else { throw problem(key, "a rule has one of event, events and skip") }
                    let templates = key.string == "event" ? [value] : value.sequence.map(Array.init) ?? []
                    guard !templates.isEmpty else { throw problem(value, "events: must be a list of events") }
                    outcome = .events(try templates.map { (node) throws(C360Error) in try self.template(node, schema: .event, at: "") })
                case "skip":
                    guard outcome == nil else { throw problem(key, "a rule has one of event, events and skip") }
                    outcome = .skip(reason: try Mapping.scalar(value, "skip"))
                default:
                    throw problem(key, "unknown key \(key.string ?? "?") (a rule has name, when, and event, events or skip)")
                }
            }
            guard let outcome else { throw problem(node, "the rule needs event, events or skip") }
            return Rule(name: rule, conditions: conditions, outcome: outcome)
        }

        func conditions(_ node: Node) throws(C360Error) -> [Condition] {
            guard let fields = node.mapping else { throw problem(node, "when: must be a mapping of field paths to values") }
            var conditions: [Condition] = []
            for (key, value) in fields {
                let path = try self.path(key)
                switch value {
                case .scalar(let scalar):
                    conditions.append(Condition(path: path, test: .isOneOf([scalar.string])))
                case .sequence(let values):
                    conditions.append(Condition(path: path, test: .isOneOf(try values.map { (node) throws(C360Error) in try Mapping.scalar(node, "when") })))
                case .mapping(let test):
                    guard test.count == 1, let (kind, operand) = test.first.map({ ($0.key.string, $0.value) }) else {
                        throw problem(value, "a condition is a value, a list of values, {present: true|false} or {not: value(s)}")
                    }
                    switch kind {
                    case "present":
                        guard let present = operand.bool else { throw problem(operand, "present: must be true or false") }
                        conditions.append(Condition(path: path, test: .isPresent(present)))
                    case "not":
                        let values = try (operand.sequence.map(Array.init) ?? [operand]).map { (node) throws(C360Error) in try Mapping.scalar(node, "not") }
                        conditions.append(Condition(path: path, test: .isNotOneOf(values)))
                    default:
                        throw problem(value, "a condition is a value, a list of values, {present: true|false} or {not: value(s)}")
                    }
                case .alias:
                    throw problem(value, "aliases are not supported in a mapping")
                }
            }
            return conditions
        }

        func path(_ node: Node) throws(C360Error) -> FieldPath {
            do throws(C360Error) {
                return try FieldPath(try Mapping.scalar(node, "a field path"))
            } catch {
                throw problem(node, error.message)
            }
        }

        /// The template of a message's fields, checked against its schema.
        func template(_ node: Node, schema: MessageSchema, at path: String) throws(C360Error) -> Template {
            guard let fields = node.mapping else { throw problem(node, "\(path.isEmpty ? "an event" : path) must be a mapping of \(schema.name) fields") }
            var templates: [(name: String, number: Int, template: Template)] = []
            var payloads: [String] = []
            for (key, value) in fields {
                let name = key.string ?? ""
                guard let field = schema.field(name) else {
                    throw problem(key, "\(path.isEmpty ? "" : path + ".")\(name) is not a field of \(schema.name); its fields are \(schema.fields.map(\.name).joined(separator: ", "))")
                }
                if schema.oneOf.contains(name) { payloads.append(name) }
                templates.append((name, field.number, try template(value, kind: field.kind, at: path.isEmpty ? name : path + "." + name)))
            }
            guard payloads.count <= 1 else { throw problem(node, "an event has one kind, this one has \(payloads.joined(separator: " and "))") }
            if schema.name == "Event" {
                for required in ["event_id", "occurred_at", "source"] where !templates.contains(where: { $0.name == required }) {
                    throw problem(node, "an event needs \(required)")
                }
                guard payloads.count == 1 else {
                    throw problem(node, "an event needs its kind: one of \(MessageSchema.payloads.map(\.name).joined(separator: ", "))")
                }
            }
            return .message(templates)
        }

        func template(_ node: Node, kind: MessageSchema.Kind, at path: String) throws(C360Error) -> Template {
            switch kind {
            case .message(let schema):
                return try template(node, schema: schema, at: path)
            case .repeated(let element):
                if let each = node.mapping, each["each"] != nil {
                    for (key, _) in each where !["each", "as", "item"].contains(key.string ?? "") {
                        throw problem(key, "\(path): unknown key \(key.string ?? "?") (a list from the record has each, as and item)")
                    }
                    guard let source = each["each"], let item = each["item"] else { throw problem(node, "\(path): each: needs item:") }
                    let name = try each["as"].map { (node) throws(C360Error) in try Mapping.scalar(node, "as") } ?? "item"
                    return .each(path: try self.path(source), name: name, item: try template(item, kind: element, at: path + "[]"))
                }
                guard case .sequence(let elements) = node else {
                    throw problem(node, "\(path) is a list: a YAML list, or {each: PATH, as: NAME, item: ...} for one element per element of a list in the record")
                }
                var templates: [Template] = []
                for elementNode in elements {
                    templates.append(try template(elementNode, kind: element, at: path + "[\(templates.count)]"))
                }
                return .list(templates)
            default:
                return try value(node, kind: kind, at: path)
            }
        }

        /// A single value: a constant, a text with `{path}` placeholders, or a mapping saying how.
        func value(_ node: Node, kind: MessageSchema.Kind, at path: String) throws(C360Error) -> Template {
            if let scalar = node.scalar {
                let expression = try text(scalar.string, at: node)
                try check(expression, kind: kind, node: node, path: path)
                return .value(expression, kind: kind, optional: false)
            }
            guard let fields = node.mapping else { throw problem(node, "\(path) must be a value or a mapping saying how to make it") }
            var expression: Expression?
            var optional = false
            var fallback: String?
            var values: [String: String]?
            var tableDefault: String?
            var format: String?
            var zone = defaultZone
            var currency: Expression?
            var amount: (Expression, Bool)?
            for (key, value) in fields {
                switch key.string {
                case "field": expression = .field(try self.path(value))
                case "value": expression = try text(try Mapping.scalar(value, "value"), at: value)
                case "optional":
                    guard let flag = value.bool else { throw problem(value, "\(path).optional must be true or false") }
                    optional = flag
                case "default": fallback = try Mapping.scalar(value, "default")
                case "values":
                    guard let table = value.mapping else { throw problem(value, "\(path).values must map the source's values to the event's") }
                    var entries: [String: String] = [:]
                    for (from, to) in table {
                        entries[try Mapping.scalar(from, "values")] = try Mapping.scalar(to, "values")
                    }
                    values = entries
                case "otherwise": tableDefault = try Mapping.scalar(value, "otherwise")
                case "format": format = try Mapping.scalar(value, "format")
                case "time_zone": zone = try Mapping.zone(value, "time_zone")
                case "currency": currency = try text(try Mapping.scalar(value, "currency"), at: value)
                case "amount": amount = (try text(try Mapping.scalar(value, "amount"), at: value), false)
                case "minor_units": amount = (try text(try Mapping.scalar(value, "minor_units"), at: value), true)
                default:
                    throw problem(key, "\(path): unknown key \(key.string ?? "?") (a value has field or value, and optional, default, values, otherwise, format, time_zone; money has amount or minor_units, and currency)")
                }
            }
            if case .money = kind {
                guard let amount, let currency else { throw problem(node, "\(path) is money: it needs amount (or minor_units) and currency") }
                return .value(.money(amount: amount.0, currency: currency, inMinorUnits: amount.1), kind: kind, optional: optional)
            }
            guard amount == nil, currency == nil else { throw problem(node, "\(path) is not money: amount, minor_units and currency do not apply") }
            guard var made = expression else { throw problem(node, "\(path) needs field: PATH or value: TEXT") }
            if let values { made = .table(made, values: values, fallback: tableDefault) } else if tableDefault != nil {
                throw problem(node, "\(path): otherwise: goes with values:")
            }
            if let fallback { made = .withDefault(made, fallback) }
            if let format {
                guard case .timestamp = kind else { throw problem(node, "\(path) is not a timestamp: format does not apply") }
                switch format {
                case "rfc3339": made = .timestamp(made, format: .rfc3339(zone: zone))
                case "epoch_seconds": made = .timestamp(made, format: .epochSeconds)
                case "epoch_milliseconds": made = .timestamp(made, format: .epochMilliseconds)
                default: throw problem(node, "\(path).format must be rfc3339, epoch_seconds or epoch_milliseconds")
                }
            } else if case .timestamp = kind {
                made = .timestamp(made, format: .rfc3339(zone: zone))
            }
            try check(made, kind: kind, node: node, path: path)
            return .value(made, kind: kind, optional: optional)
        }

        /// Constants known when the mapping is read are checked then: enum names, numbers, booleans.
        func check(_ expression: Expression, kind: MessageSchema.Kind, node: Node, path: String) throws(C360Error) {
            var constants: [String] = []
            switch expression {
            case .constant(let text): constants = [text]
            case .table(_, let values, let fallback): constants = Array(values.values) + (fallback.map { [$0] } ?? [])
            case .withDefault(.table(_, let values, let fallback), let outer): constants = Array(values.values) + (fallback.map { [$0] } ?? []) + [outer]
            case .withDefault(_, let fallback): constants = [fallback]
            default: break
            }
            for constant in constants {
                do throws(C360Error) {
                    switch kind {
                    case .enumeration(let names) where !names.contains(constant):
                        throw C360Error(.invalidArgument, "\"\(constant)\" is not one of \(names.joined(separator: ", "))")
                    case .integer: _ = try ValueConversions.integer(constant)
                    case .integer32: _ = try ValueConversions.integer32(constant)
                    case .bool: _ = try ValueConversions.bool(constant)
                    case .timestamp: if case .constant = expression { _ = try ValueConversions.timestamp(constant, zone: defaultZone) }
                    default: break
                    }
                } catch {
                    throw problem(node, "\(path): \(error.message)")
                }
            }
        }

        /// A constant, or a text with `{path}` placeholders (`{{` and `}}` for braces).
        func text(_ text: String, at node: Node) throws(C360Error) -> Expression {
            let parts: [TextPart]
            do throws(C360Error) {
                parts = try TextTemplate.parse(text)
            } catch {
                throw problem(node, error.message)
            }
            if parts.count == 1, case .field(let path) = parts[0] { return .field(path) }
            let literals = parts.compactMap { part -> String? in if case .literal(let text) = part { text } else { nil } }
            if literals.count == parts.count { return .constant(literals.joined()) }
            return .text(parts)
        }
    }
}
