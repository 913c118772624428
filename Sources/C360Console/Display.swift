import C360Core
import C360Model
import C360Service
import SwiftProtobuf

/// How the console writes figures for people: money with its currency's decimals, times in UTC,
/// enum values in words.
enum Display {
    /// `85.98 GBP`, with the currency's own number of decimals (ISO 4217).
    static func money(_ minorUnits: Int64, _ currency: String) -> String {
        let perMajor = Currency.minorUnitsPerMajor(currency)
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        let major = magnitude / UInt64(perMajor)
        let minor = magnitude % UInt64(perMajor)
        let decimals = perMajor == 1 ? 0 : (perMajor == 1_000 ? 3 : 2)
        let grouped = groupThousands(String(major))
        guard decimals > 0 else { return "\(sign)\(grouped) \(currency)" }
        let fraction = String(minor)
        return "\(sign)\(grouped).\(String(repeating: "0", count: decimals - fraction.count))\(fraction) \(currency)"
    }

    static func money(_ money: C360_V1_Money) -> String {
        money.currency.isEmpty ? "—" : self.money(money.minorUnits, money.currency)
    }

    static func moneyList(_ amounts: [C360_V1_Money]) -> String {
        amounts.isEmpty ? "none" : amounts.map(money).joined(separator: ", ")
    }

    static func count(_ value: Int64) -> String { groupThousands(String(value.magnitude)).withSign(value < 0) }

    private static func groupThousands(_ digits: String) -> String {
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }

    /// `2026-03-01 14:05 UTC`.
    static func time(_ timestamp: Google_Protobuf_Timestamp) -> String {
        let text = Instant(timestamp).description
        guard text.count >= 16 else { return text }
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    static func time(_ timestamp: Google_Protobuf_Timestamp?, otherwise: String = "never") -> String {
        timestamp.map { time($0) } ?? otherwise
    }

    static func percent(_ fraction: Double) -> String {
        "\(Int((fraction * 100).rounded()))%"
    }

    /// An enum case in words: `atRisk` → `at risk`, `cookieID` → `cookie ID`; `unspecified` → `—`.
    static func words(_ value: some Enum) -> String {
        let name = String(describing: value)
        if name == "unspecified" || name.hasPrefix("UNRECOGNIZED") { return "—" }
        var out = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previousIsUpper = characters[index - 1].isUppercase
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if !previousIsUpper || nextIsLower { out += " " }
                out.append(nextIsLower ? Character(character.lowercased()) : character)
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func identityType(_ type: C360_V1_IdentityType) -> String {
        switch type {
        case .email: "email"
        case .phone: "phone"
        case .cookieID: "cookie id"
        case .deviceID: "device id"
        case .loyaltyID: "loyalty id"
        case .unspecified, .UNRECOGNIZED: "identity"
        }
    }

    static func kindName(_ kind: C360_V1_EventKind) -> String {
        switch kind {
        case .customerUpserted: "customer details"
        case .orderPlaced: "order placed"
        case .orderStatusChanged: "order status"
        case .webEvent: "web"
        case .emailEvent: "email"
        case .ticketEvent: "ticket"
        case .identityLinked: "identity linked"
        case .identityUnlinked: "identity unlinked"
        case .unspecified, .UNRECOGNIZED: "event"
        }
    }

    /// The timeline filter's values: the API's enum names without their prefix, in lower case.
    static let kindsByParameter: [(parameter: String, kind: C360_V1_EventKind)] = [
        ("customer_upserted", .customerUpserted), ("order_placed", .orderPlaced), ("order_status_changed", .orderStatusChanged),
        ("web_event", .webEvent), ("email_event", .emailEvent), ("ticket_event", .ticketEvent),
        ("identity_linked", .identityLinked), ("identity_unlinked", .identityUnlinked),
    ]
}

private extension String {
    func withSign(_ negative: Bool) -> String { negative ? "-" + self : self }
}
