public import C360Model
import SwiftProtobuf

/// Checks that an event is complete and plausible before it is appended: every rule names the
/// field it concerns. Pure: no I/O, no clock.
public struct EventValidator: Sendable {
    /// Longest accepted `event_id`, `customer_id` and identity value, in UTF-8 bytes.
    public var maximumIdentifierBytes = 128
    /// Longest accepted free-text field (names, pages, messages), in UTF-8 bytes.
    public var maximumTextBytes = 4_096
    /// Most line items in one order.
    public var maximumLineItems = 1_000
    /// Most identities on one event.
    public var maximumIdentities = 32
    /// Earliest accepted `occurred_at`.
    public var earliestTime = Instant(secondsSinceEpoch: 0)
    /// Latest accepted `occurred_at`.
    public var latestTime = Instant(secondsSinceEpoch: 4_102_444_800) // 2100-01-01
    /// Largest accepted amount, in minor units: 10^15 (ten trillion pounds, dollars or euros), so
    /// that thousands of the largest orders still sum within 64 bits.
    public static let maximumMinorUnits: Int64 = 1_000_000_000_000_000

    public init() {}

    /// Throws a `C360Error` with code `.invalidArgument` naming the first field at fault.
    public func validate(_ event: C360_V1_Event) throws(C360Error) {
        try checkIdentifier(event.eventID, field: "event_id", required: true)
        try checkIdentifier(event.customerID, field: "customer_id", required: false)
        if event.identities.count > maximumIdentities {
            throw .invalid("identities", "at most \(maximumIdentities) identities per event")
        }
        for (index, identity) in event.identities.enumerated() {
            try check(identity, field: "identities[\(index)]")
        }
        if event.customerID.isEmpty && event.identities.isEmpty {
            throw .invalid("customer_id", "an event needs a customer_id or at least one identity")
        }
        guard event.hasOccurredAt else {
            throw .invalid("occurred_at", "is required")
        }
        let occurredAt = Instant(event.occurredAt)
        guard event.occurredAt.nanos >= 0, event.occurredAt.nanos < 1_000_000_000,
              occurredAt >= earliestTime, occurredAt < latestTime else {
            throw .invalid("occurred_at", "must lie between \(earliestTime) and \(latestTime)")
        }
        try checkText(event.source, field: "source", required: true, limit: maximumIdentifierBytes)

        switch event.payload {
        case nil:
            throw .invalid("payload", "an event needs exactly one payload: customer_upserted, order_placed, order_status_changed, web_event, email_event, ticket_event, identity_linked or identity_unlinked")
        case .customerUpserted(let customer):
            try validate(customer)
        case .orderPlaced(let order):
            try validate(order)
        case .orderStatusChanged(let change):
            try validate(change)
        case .webEvent(let web):
            try validate(web)
        case .emailEvent(let email):
            try validate(email)
        case .ticketEvent(let ticket):
            try validate(ticket)
        case .identityLinked(let link):
            try requireCustomer(event, field: "identity_linked")
            guard link.hasIdentity else { throw .invalid("identity_linked.identity", "is required") }
            try check(link.identity, field: "identity_linked.identity")
        case .identityUnlinked(let unlink):
            try requireCustomer(event, field: "identity_unlinked")
            guard unlink.hasIdentity else { throw .invalid("identity_unlinked.identity", "is required") }
            try check(unlink.identity, field: "identity_unlinked.identity")
        }
    }

    private func requireCustomer(_ event: C360_V1_Event, field: String) throws(C360Error) {
        if event.customerID.isEmpty {
            throw .invalid("customer_id", "is required for \(field)")
        }
    }

    private func validate(_ customer: C360_V1_CustomerUpserted) throws(C360Error) {
        let prefix = "customer_upserted"
        if customer.hasFirstName { try checkText(customer.firstName, field: "\(prefix).first_name", required: false) }
        if customer.hasLastName { try checkText(customer.lastName, field: "\(prefix).last_name", required: false) }
        if customer.hasEmail, !customer.email.isEmpty, !EventValidator.isPlausibleEmail(customer.email) {
            throw .invalid("\(prefix).email", "is not an email address")
        }
        if customer.hasPhone { try checkText(customer.phone, field: "\(prefix).phone", required: false, limit: 32) }
        if customer.hasDateOfBirth, !customer.dateOfBirth.isEmpty {
            guard let date = CalendarDate(customer.dateOfBirth) else {
                throw .invalid("\(prefix).date_of_birth", "must be a calendar date YYYY-MM-DD")
            }
            guard date.year >= 1900, date < CalendarDate(latestTime) else {
                throw .invalid("\(prefix).date_of_birth", "is not a possible date of birth")
            }
        }
        if customer.hasSignupDate, !customer.signupDate.isEmpty, CalendarDate(customer.signupDate) == nil {
            throw .invalid("\(prefix).signup_date", "must be a calendar date YYYY-MM-DD")
        }
        if customer.hasLoyaltyPoints, customer.loyaltyPoints < 0 {
            throw .invalid("\(prefix).loyalty_points", "must not be negative")
        }
        if case .UNRECOGNIZED(let value) = customer.gender {
            throw .invalid("\(prefix).gender", "unknown value \(value)")
        }
        if case .UNRECOGNIZED(let value) = customer.loyaltyTier {
            throw .invalid("\(prefix).loyalty_tier", "unknown value \(value)")
        }
        if customer.hasAddress {
            let address = customer.address
            for (name, value) in [("line1", address.line1), ("line2", address.line2), ("city", address.city),
                                  ("region", address.region), ("postal_code", address.postalCode), ("country", address.country)] {
                try checkText(value, field: "\(prefix).address.\(name)", required: false, limit: 256)
            }
        }
        if customer.hasAcquisitionChannel {
            try checkText(customer.acquisitionChannel, field: "\(prefix).acquisition_channel", required: false, limit: maximumIdentifierBytes)
        }
    }

    private func validate(_ order: C360_V1_OrderPlaced) throws(C360Error) {
        let prefix = "order_placed"
        try checkIdentifier(order.orderID, field: "\(prefix).order_id", required: true)
        switch order.channel {
        case .online, .instore, .mobile, .marketplace: break
        case .unspecified: throw .invalid("\(prefix).channel", "is required (ORDER_CHANNEL_ONLINE, _INSTORE, _MOBILE or _MARKETPLACE)")
        case .UNRECOGNIZED(let value): throw .invalid("\(prefix).channel", "unknown value \(value)")
        }
        try checkIdentifier(order.storeID, field: "\(prefix).store_id", required: false)
        guard order.hasTotal else { throw .invalid("\(prefix).total", "is required") }
        try check(order.total, field: "\(prefix).total")
        if order.items.count > maximumLineItems {
            throw .invalid("\(prefix).items", "at most \(maximumLineItems) line items per order")
        }
        for (index, item) in order.items.enumerated() {
            let field = "\(prefix).items[\(index)]"
            try checkIdentifier(item.productID, field: "\(field).product_id", required: true)
            try checkText(item.name, field: "\(field).name", required: false)
            try checkText(item.category, field: "\(field).category", required: false)
            guard item.quantity > 0 else { throw .invalid("\(field).quantity", "must be at least 1, got \(item.quantity)") }
            if item.hasUnitPrice {
                try check(item.unitPrice, field: "\(field).unit_price")
                guard item.unitPrice.currency == order.total.currency else {
                    throw .invalid("\(field).unit_price.currency", "must match the order total's currency \(order.total.currency)")
                }
            }
        }
        if case .UNRECOGNIZED(let value) = order.status {
            throw .invalid("\(prefix).status", "unknown value \(value)")
        }
    }

    private func validate(_ change: C360_V1_OrderStatusChanged) throws(C360Error) {
        let prefix = "order_status_changed"
        try checkIdentifier(change.orderID, field: "\(prefix).order_id", required: true)
        switch change.status {
        case .placed, .shipped, .delivered, .cancelled, .returned: break
        case .unspecified: throw .invalid("\(prefix).status", "is required")
        case .UNRECOGNIZED(let value): throw .invalid("\(prefix).status", "unknown value \(value)")
        }
        if change.hasRefunded { try check(change.refunded, field: "\(prefix).refunded") }
    }

    private func validate(_ web: C360_V1_WebEvent) throws(C360Error) {
        let prefix = "web_event"
        switch web.type {
        case .unspecified: throw .invalid("\(prefix).type", "is required")
        case .UNRECOGNIZED(let value): throw .invalid("\(prefix).type", "unknown value \(value)")
        case .productView:
            try checkIdentifier(web.productID, field: "\(prefix).product_id", required: true)
        default: break
        }
        try checkIdentifier(web.sessionID, field: "\(prefix).session_id", required: false)
        try checkIdentifier(web.productID, field: "\(prefix).product_id", required: false)
        try checkText(web.page, field: "\(prefix).page", required: false)
        try checkText(web.errorMessage, field: "\(prefix).error_message", required: false)
        try checkText(web.device, field: "\(prefix).device", required: false, limit: maximumIdentifierBytes)
        try checkText(web.searchQuery, field: "\(prefix).search_query", required: false)
    }

    private func validate(_ email: C360_V1_EmailEvent) throws(C360Error) {
        let prefix = "email_event"
        switch email.type {
        case .unspecified: throw .invalid("\(prefix).type", "is required")
        case .UNRECOGNIZED(let value): throw .invalid("\(prefix).type", "unknown value \(value)")
        default: break
        }
        try checkIdentifier(email.campaignID, field: "\(prefix).campaign_id", required: true)
        for (index, item) in email.items.enumerated() {
            try checkIdentifier(item, field: "\(prefix).items[\(index)]", required: true)
        }
    }

    private func validate(_ ticket: C360_V1_TicketEvent) throws(C360Error) {
        let prefix = "ticket_event"
        try checkIdentifier(ticket.ticketID, field: "\(prefix).ticket_id", required: true)
        switch ticket.type {
        case .unspecified: throw .invalid("\(prefix).type", "is required")
        case .UNRECOGNIZED(let value): throw .invalid("\(prefix).type", "unknown value \(value)")
        default: break
        }
        if case .UNRECOGNIZED(let value) = ticket.channel {
            throw .invalid("\(prefix).channel", "unknown value \(value)")
        }
        try checkText(ticket.category, field: "\(prefix).category", required: false, limit: maximumIdentifierBytes)
        guard (0...5).contains(ticket.satisfactionScore) else {
            throw .invalid("\(prefix).satisfaction_score", "must be 1 to 5, or 0 when not rated; got \(ticket.satisfactionScore)")
        }
    }

    // The checks take the field's name as an autoclosure: it is made (an interpolated string, an
    // allocation) only for the error, not for every valid value (`perf` of bulk ingest: validating
    // an event was 3% of the server's samples, much of it making names never used).

    private func check(_ identity: C360_V1_Identity, field: @autoclosure () -> String) throws(C360Error) {
        switch identity.type {
        case .unspecified: throw .invalid("\(field()).type", "is required")
        case .UNRECOGNIZED(let value): throw .invalid("\(field()).type", "unknown value \(value)")
        case .email:
            guard EventValidator.isPlausibleEmail(identity.value) else { throw .invalid("\(field()).value", "is not an email address") }
        default: break
        }
        try checkIdentifier(identity.value, field: "\(field()).value", required: true)
    }

    private func check(_ money: C360_V1_Money, field: @autoclosure () -> String) throws(C360Error) {
        guard money.minorUnits >= 0 else {
            throw .invalid("\(field()).minor_units", "must not be negative, got \(money.minorUnits)")
        }
        guard money.minorUnits <= Self.maximumMinorUnits else {
            throw .invalid("\(field()).minor_units", "must be at most \(Self.maximumMinorUnits), got \(money.minorUnits)")
        }
        let currency = money.currency.utf8
        guard currency.count == 3, currency.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            throw .invalid("\(field()).currency", "must be an ISO 4217 code of three upper-case letters")
        }
    }

    private func checkIdentifier(_ value: String, field: @autoclosure () -> String, required: Bool) throws(C360Error) {
        try checkText(value, field: field(), required: required, limit: maximumIdentifierBytes)
    }

    private func checkText(_ value: String, field: @autoclosure () -> String, required: Bool, limit: Int? = nil) throws(C360Error) {
        if value.isEmpty {
            if required { throw .invalid(field(), "is required") }
            return
        }
        let limit = limit ?? maximumTextBytes
        if value.utf8.count > limit {
            throw .invalid(field(), "is longer than \(limit) bytes")
        }
        // Control characters are single bytes in UTF-8, so the bytes tell without decoding scalars.
        if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw .invalid(field(), "contains control characters")
        }
    }

    /// One `@`, something before it, and a dotted domain after it: a plausibility check, not RFC 5322.
    public static func isPlausibleEmail(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at != bytes.startIndex else { return false }
        let domain = bytes[bytes.index(after: at)...]
        let dot = UInt8(ascii: ".")
        guard domain.count >= 3, !domain.contains(UInt8(ascii: "@")), domain.contains(dot),
              domain.first != dot, domain.last != dot,
              !zip(domain, domain.dropFirst()).contains(where: { $0 == dot && $1 == dot }) else { return false }
        // No spaces or control characters anywhere (non-ASCII letters are allowed).
        return !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F })
    }
}
