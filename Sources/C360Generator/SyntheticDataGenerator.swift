import C360Core
public import C360Model
import Foundation
public import SwiftProtobuf

/// Generates a realistic, deterministic event history for the demo fashion retailer: customers
/// signing up, browsing, ordering online and in store, receiving and opening marketing emails,
/// and contacting support. The same parameters always give the same events, byte for byte.
///
/// ```swift
/// let generator = SyntheticDataGenerator(customers: 1_000, events: 20_000, seed: 7)
/// try generator.generate { event in try sink.write(event) }
/// ```
public struct SyntheticDataGenerator: Sendable {
    public let customers: Int
    public let events: Int
    public let seed: UInt64
    /// The history ends here (2026-11-01T00:00:00Z), so that output never depends on today's date.
    public var end = Google_Protobuf_Timestamp(seconds: 1_793_491_200)
    /// How far back the history starts. Default two years.
    public var spanSeconds: Int64 = 2 * 365 * 86_400

    public init(customers: Int, events: Int, seed: UInt64) {
        self.customers = max(customers, 1)
        self.events = max(events, 0)
        self.seed = seed
    }

    /// The customer id of the customer numbered `index` (1-based).
    public static func customerID(_ index: Int) -> String { "cust_\(index)" }

    /// Per-customer state the generator remembers so that later events make sense (a status change
    /// for an order that was placed, a resolution of a ticket that was opened).
    private struct CustomerMemory {
        var lastOrder: (id: String, totalPence: Int64)?
        var openTicket: String?
        var ticketsOpened = 0
        var ordersPlaced = 0
        /// A login has tied the customer's browser cookie to the customer.
        var cookieLinked = false
    }

    /// The browser cookie of customer `index`: before the first login, some of the customer's
    /// browsing arrives under it alone (anonymous); the login links it and merges that history.
    public func cookie(of index: Int) -> C360_V1_Identity {
        C360_V1_Identity(type: .cookieID, value: "ck_\(seed)_\(index)")
    }

    /// Calls `emit` with every event in order: first one `customer_upserted` per customer (as many
    /// as `events` allows), then activity in time order.
    public func generate(_ emit: (C360_V1_Event) throws -> Void) rethrows {
        var random = SeededRandom(seed: seed)
        let start = end.seconds - spanSeconds
        let upserts = min(customers, events)
        var memory = [CustomerMemory](repeating: CustomerMemory(), count: customers + 1)
        var sequence = 0

        func envelope(_ customer: Int, at seconds: Int64, source: String) -> C360_V1_Event {
            sequence += 1
            var event = C360_V1_Event()
            event.eventID = "evt_\(seed)_\(sequence)"
            event.customerID = Self.customerID(customer)
            event.occurredAt = Google_Protobuf_Timestamp(seconds: seconds, nanos: Int32(random.int(in: 0...999) * 1_000_000))
            event.source = source
            return event
        }

        for customer in 1...max(upserts, 1) where upserts > 0 {
            let signup = start + Int64(random.int(in: 0...Int(spanSeconds / 4)))
            var event = envelope(customer, at: signup, source: random.chance(0.7) ? "users" : "crm")
            event.customerUpserted = makeCustomer(customer, signupSeconds: signup, random: &random)
            try emit(event)
        }

        let activity = events - upserts
        guard activity > 0 else { return }
        let activityStart = start + spanSeconds / 4
        let activitySpan = end.seconds - activityStart
        for index in 0..<activity {
            let seconds = activityStart + Int64((Double(index) + random.unit()) / Double(activity) * Double(activitySpan))
            // Activity is skewed: a few customers are far more active than most, as in real shops.
            let customer = 1 + min(customers - 1, Int(Double(customers) * pow2(random.unit())))
            let kind = random.pick(weighted: [("web", 55), ("email", 20), ("order", 12), ("status", 5), ("ticket", 5), ("upsert", 3)])
            var event: C360_V1_Event
            switch kind {
            case "web":
                event = envelope(customer, at: seconds, source: "web")
                var web = makeWebEvent(customer, seconds: seconds, random: &random)
                let linked = memory[customer].cookieLinked
                if random.chance(linked ? 0.05 : 0.4) {
                    // Browsing without logging in: only the cookie says who it is.
                    event.customerID = ""
                    event.identities = [cookie(of: customer)]
                    if web.type == .loginSuccess || web.type == .loginFailure { web.type = .pageView }
                } else if web.type == .loginSuccess {
                    event.identities = [cookie(of: customer)]
                    memory[customer].cookieLinked = true
                }
                event.webEvent = web
            case "email":
                event = envelope(customer, at: seconds, source: "esp")
                event.emailEvent = makeEmailEvent(seconds: seconds, random: &random)
            case "order", "status":
                if kind == "status", let order = memory[customer].lastOrder {
                    event = envelope(customer, at: seconds, source: "oms")
                    var change = C360_V1_OrderStatusChanged()
                    change.orderID = order.id
                    change.status = random.pick(weighted: [(.shipped, 40), (.delivered, 40), (.returned, 12), (.cancelled, 8)])
                    if change.status == .returned {
                        change.refunded = money(order.totalPence)
                    }
                    event.orderStatusChanged = change
                } else {
                    let channel: C360_V1_OrderChannel = random.pick(weighted: [(.online, 50), (.instore, 30), (.mobile, 15), (.marketplace, 5)])
                    event = envelope(customer, at: seconds, source: channel == .instore ? "pos" : "shop")
                    memory[customer].ordersPlaced += 1
                    let order = makeOrder(customer, number: memory[customer].ordersPlaced, channel: channel, random: &random)
                    memory[customer].lastOrder = (order.orderID, order.total.minorUnits)
                    event.orderPlaced = order
                }
            case "ticket":
                event = envelope(customer, at: seconds, source: "helpdesk")
                var ticket = C360_V1_TicketEvent()
                if let open = memory[customer].openTicket {
                    ticket.ticketID = open
                    ticket.type = random.pick(weighted: [(.resolved, 70), (.escalated, 30)])
                    if ticket.type == .resolved {
                        memory[customer].openTicket = nil
                        if random.chance(0.6) { ticket.satisfactionScore = Int32(random.pick(weighted: [(5, 35), (4, 30), (3, 15), (2, 10), (1, 10)])) }
                    }
                } else {
                    memory[customer].ticketsOpened += 1
                    ticket.ticketID = "tk_\(customer)_\(memory[customer].ticketsOpened)"
                    ticket.type = .opened
                    memory[customer].openTicket = ticket.ticketID
                }
                ticket.category = random.pick(Catalogue.ticketCategories)
                ticket.channel = random.pick(weighted: [(.chat, 50), (.phone, 30), (.email, 20)])
                event.ticketEvent = ticket
            default:
                event = envelope(customer, at: seconds, source: "loyalty")
                var update = C360_V1_CustomerUpserted()
                update.loyaltyPoints = Int64(random.int(in: 0...5_000))
                update.loyaltyTier = random.pick(weighted: [(.bronze, 50), (.silver, 30), (.gold, 15), (.platinum, 5)])
                event.customerUpserted = update
            }
            try emit(event)
        }
    }

    private func pow2(_ value: Double) -> Double { value * value }

    private func money(_ pence: Int64) -> C360_V1_Money {
        var money = C360_V1_Money()
        money.minorUnits = pence
        money.currency = "GBP"
        return money
    }

    private func makeCustomer(_ index: Int, signupSeconds: Int64, random: inout SeededRandom) -> C360_V1_CustomerUpserted {
        var customer = C360_V1_CustomerUpserted()
        let first = random.pick(Catalogue.firstNames)
        let last = random.pick(Catalogue.lastNames)
        customer.firstName = first
        customer.lastName = last
        let local = "\(first).\(last)".folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .lowercased().filter { $0.isASCII && ($0.isLetter || $0 == ".") }
        customer.email = "\(local.isEmpty ? "customer" : local).\(index)@example.com"
        customer.phone = "+447700\(String(100_000 + index % 900_000))"
        let birthYear = random.int(in: 1950...2006)
        customer.dateOfBirth = "\(birthYear)-\(pad(random.int(in: 1...12)))-\(pad(random.int(in: 1...28)))"
        customer.gender = random.pick(weighted: [(.female, 55), (.male, 40), (.nonBinary, 3), (.undisclosed, 2)])
        let place = random.pick(Catalogue.cities)
        var address = C360_V1_Address()
        address.line1 = "\(random.int(in: 1...240)) \(random.pick(Catalogue.streets))"
        address.city = place.city
        address.region = place.region
        address.postalCode = "\(place.postcodePrefix)\(random.int(in: 1...20)) \(random.int(in: 1...9))\(["AB", "DE", "FG", "HJ", "QT", "XY"][random.int(in: 0...5)])"
        address.country = "GB"
        customer.address = address
        customer.loyaltyTier = random.pick(weighted: [(.none, 30), (.bronze, 35), (.silver, 20), (.gold, 11), (.platinum, 4)])
        customer.loyaltyPoints = Int64(random.int(in: 0...3_000))
        customer.signupDate = CalendarDate(Instant(secondsSinceEpoch: signupSeconds)).description
        customer.acquisitionChannel = random.pick(Catalogue.acquisitionChannels)
        var consent = C360_V1_ConsentFlags()
        consent.emailMarketing = random.chance(0.7)
        consent.smsMarketing = random.chance(0.3)
        consent.personalisation = random.chance(0.6)
        customer.consent = consent
        return customer
    }

    private func makeOrder(_ customer: Int, number: Int, channel: C360_V1_OrderChannel, random: inout SeededRandom) -> C360_V1_OrderPlaced {
        var order = C360_V1_OrderPlaced()
        order.orderID = "ord_\(customer)_\(number)"
        order.channel = channel
        if channel == .instore { order.storeID = "store_\(random.int(in: 1...40))" }
        var total: Int64 = 0
        for _ in 0..<random.pick(weighted: [(1, 50), (2, 30), (3, 15), (4, 5)]) {
            let product = random.pick(Catalogue.products)
            var item = C360_V1_LineItem()
            item.productID = product.id
            item.name = product.name
            item.category = product.category
            item.quantity = Int32(random.pick(weighted: [(1, 85), (2, 12), (3, 3)]))
            item.unitPrice = money(product.pricePence)
            total += product.pricePence * Int64(item.quantity)
            order.items.append(item)
        }
        order.total = money(total)
        order.status = .placed
        return order
    }

    private func makeWebEvent(_ customer: Int, seconds: Int64, random: inout SeededRandom) -> C360_V1_WebEvent {
        var web = C360_V1_WebEvent()
        web.sessionID = "sess_\(customer)_\(seconds / 3_600)"
        web.device = random.pick(Catalogue.devices)
        web.type = random.pick(weighted: [(.pageView, 40), (.productView, 30), (.search, 8), (.addToCart, 8), (.loginSuccess, 8), (.loginFailure, 3), (.error, 3)])
        switch web.type {
        case .productView, .addToCart:
            let product = random.pick(Catalogue.products)
            web.productID = product.id
            web.page = "/p/\(product.id)"
        case .search:
            web.searchQuery = random.pick(Catalogue.searches)
            web.page = "/search"
        case .loginSuccess, .loginFailure:
            web.page = "/login"
        case .error:
            let error = random.pick(Catalogue.errors)
            web.page = error.page
            web.errorMessage = error.message
        default:
            web.page = random.pick(Catalogue.pages)
        }
        return web
    }

    private func makeEmailEvent(seconds: Int64, random: inout SeededRandom) -> C360_V1_EmailEvent {
        var email = C360_V1_EmailEvent()
        email.campaignID = "cmp_\(seconds / (7 * 86_400))"
        email.type = random.pick(weighted: [(.sent, 40), (.delivered, 30), (.opened, 18), (.clicked, 8), (.bounced, 3), (.unsubscribed, 1)])
        if email.type == .clicked {
            email.items = [random.pick(Catalogue.products).id]
        }
        return email
    }

    private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
