import C360Model
import C360Service

/// One event in a line a person reads at a glance: an order with its lines and total, a ticket
/// with its category, a web error with its page.
enum EventSummary {
    static func kind(of event: C360_V1_Event) -> C360_V1_EventKind { EventKindOf.kind(of: event) }

    static func describe(_ event: C360_V1_Event) -> HTML {
        switch event.payload {
        case .orderPlaced(let order):
            let lines = order.items.map { item in
                "\(item.name.isEmpty ? item.productID : item.name) ×\(item.quantity)"
            }.joined(separator: ", ")
            let store = order.storeID.isEmpty ? "" : " at \(order.storeID)"
            return "Order <strong>\(order.orderID)</strong> \(Display.words(order.channel))\(store): \(lines) — <strong>\(Display.money(order.total))</strong>"
        case .orderStatusChanged(let change):
            let refund = change.hasRefunded && change.refunded.minorUnits > 0 ? ", refunded \(Display.money(change.refunded))" : ""
            return "Order <strong>\(change.orderID)</strong> is now \(Display.words(change.status))\(refund)"
        case .webEvent(let web):
            switch web.type {
            case .error:
                return "Error on <strong>\(web.page)</strong>: \(web.errorMessage)\(device(web))"
            case .search:
                return "Searched for “\(web.searchQuery)”\(device(web))"
            case .productView:
                return "Viewed product \(web.productID)\(web.page.isEmpty ? "" : " on \(web.page)")\(device(web))"
            case .addToCart:
                return "Added \(web.productID) to the cart\(device(web))"
            default:
                return "\(Display.words(web.type).capitalizedFirst)\(web.page.isEmpty ? "" : " \(web.page)")\(device(web))"
            }
        case .emailEvent(let email):
            return "Email \(Display.words(email.type)), campaign \(email.campaignID)"
        case .ticketEvent(let ticket):
            let score = ticket.satisfactionScore > 0 ? ", satisfaction \(ticket.satisfactionScore)/5" : ""
            let channel = ticket.channel == .unspecified ? "" : " by \(Display.words(ticket.channel))"
            return "Ticket <strong>\(ticket.ticketID)</strong> \(Display.words(ticket.type))\(ticket.category.isEmpty ? "" : " (\(ticket.category))")\(channel)\(score)"
        case .customerUpserted(let details):
            var fields: [String] = []
            if details.hasFirstName || details.hasLastName { fields.append("name") }
            if details.hasEmail { fields.append("email") }
            if details.hasPhone { fields.append("phone") }
            if details.hasDateOfBirth { fields.append("date of birth") }
            if details.hasAddress { fields.append("address") }
            if details.loyaltyTier != .unspecified || details.hasLoyaltyPoints { fields.append("loyalty") }
            if details.hasConsent { fields.append("consent") }
            if details.hasSignupDate || details.hasAcquisitionChannel { fields.append("sign-up") }
            return "Details updated: \(fields.isEmpty ? "no fields" : fields.joined(separator: ", "))"
        case .identityLinked(let linked):
            return "Linked \(Display.identityType(linked.identity.type)) \(linked.identity.value)"
        case .identityUnlinked(let unlinked):
            return "Unlinked \(Display.identityType(unlinked.identity.type)) \(unlinked.identity.value)"
        case nil:
            return "An event without a payload"
        }
    }

    private static func device(_ web: C360_V1_WebEvent) -> String {
        web.device.isEmpty ? "" : " (\(web.device))"
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
