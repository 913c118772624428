import C360Model

extension ProjectionFold {
    /// Records a placement in the order ledger and recomputes the order figures from the ledger.
    /// The same order reported again (by a second system, say) is one order: the earliest of its
    /// placements (by occurred_at, then log position) decides its time, channel and total, and the
    /// day it counts on in the windows; its items, products and categories are counted once, from
    /// its placement first in the log.
    func applyOrder(_ order: FoldableEvent.Order, at placedAt: Instant, seq: UInt64, to projection: inout Projection) {
        let micros = placedAt.microsecondsSinceEpoch
        var entry = Self.ledgerEntry(order.orderID, in: &projection.orders)
        let isNew = entry.placementSeq == 0
        if isNew || (micros, seq) < (entry.placedAtUs, entry.placementSeq) {
            if !isNew {
                updateDay(of: Instant(microsecondsSinceEpoch: entry.placedAtUs), in: &projection.days) { $0.orders -= 1 }
            }
            updateDay(of: placedAt, in: &projection.days) { $0.orders += 1 }
            entry.placedAtUs = micros
            entry.placementSeq = seq
            entry.channel = order.channel
            entry.total = order.total
        }
        // A placement sets the status it carries (an order can arrive already shipped or cancelled).
        Self.setStatus(order.status == .unspecified ? .placed : order.status, at: micros, seq: seq, of: &entry)
        Self.store(entry, in: &projection.orders)
        if isNew { Self.tallyItems(of: order, at: micros, seq: seq, into: &projection.orders) }
        Self.recomputeFigures(of: &projection.orders)
    }

    /// Records a status change and its refund in the order ledger, for an order placed or not yet
    /// seen, and recomputes the order figures from the ledger.
    func applyStatusChange(_ change: FoldableEvent.StatusChange, at changedAt: Instant, seq: UInt64, to orders: inout Projection.Orders) {
        var entry = Self.ledgerEntry(change.orderID, in: &orders)
        Self.setStatus(change.status, at: changedAt.microsecondsSinceEpoch, seq: seq, of: &entry)
        if let refunded = change.refunded, refunded.minorUnits > 0 {
            Self.add(refunded.minorUnits, currency: refunded.currency, to: &entry.refunds)
        }
        Self.store(entry, in: &orders)
        Self.recomputeFigures(of: &orders)
    }

    /// The latest status-setting event decides the status, whatever order they arrive in.
    private static func setStatus(_ status: C360_V1_OrderStatus, at micros: Int64, seq: UInt64, of entry: inout Projection.OrderSummary) {
        guard entry.statusSeq == 0 || (micros, seq) > (entry.statusAtUs, entry.statusSeq) else { return }
        entry.status = status
        entry.statusAtUs = micros
        entry.statusSeq = seq
    }

    private static func ledgerPosition(of orderID: String, in ledger: [Projection.OrderSummary]) -> (index: Int, found: Bool) {
        sortedPosition(of: orderID, in: ledger, by: \.orderID)
    }

    /// `orders` is only read: taken `inout` so that reading it through the projection's accessor
    /// does not copy the order state (a retain of each of its arrays, and a release) on every order event.
    private static func ledgerEntry(_ orderID: String, in orders: inout Projection.Orders) -> Projection.OrderSummary {
        let position = ledgerPosition(of: orderID, in: orders.ledger)
        if position.found { return orders.ledger[position.index] }
        var entry = Projection.OrderSummary()
        entry.orderID = orderID
        return entry
    }

    private static func store(_ entry: Projection.OrderSummary, in orders: inout Projection.Orders) {
        let position = ledgerPosition(of: entry.orderID, in: orders.ledger)
        if position.found {
            orders.ledger[position.index] = entry
        } else {
            orders.ledger.insert(entry, at: position.index)
        }
    }

    /// The order figures as a function of the ledger alone, so that they cannot depend on the order
    /// the events arrived in. Only orders placed count; an order contributes its total less its
    /// refunds in the order's currency (never below zero) to spend, or nothing while cancelled.
    private static func recomputeFigures(of orders: inout Projection.Orders) {
        // Run on every order event over the whole ledger: small arrays rather than dictionaries
        // (a customer has a few channels and nearly always one currency), kept in currency order.
        var perChannel = [(count: Int64, lastAt: Int64)](repeating: (0, 0), count: 5)
        var spend: [Projection.MoneyTotal] = []
        var refunded: [Projection.MoneyTotal] = []
        var cancelled: Int64 = 0, returned: Int64 = 0
        var first: Int64 = 0
        var last: Projection.OrderSummary?
        for entry in orders.ledger {
            for refund in entry.refunds {
                add(refund.minorUnits, currency: refund.currency, to: &refunded)
            }
            guard entry.placementSeq != 0 else { continue }
            let channel = entry.channel.rawValue
            if (1...4).contains(channel) {
                perChannel[channel].count += 1
                perChannel[channel].lastAt = max(perChannel[channel].lastAt, entry.placedAtUs)
            }
            if first == 0 || entry.placedAtUs < first { first = entry.placedAtUs }
            // The latest placement is the last order; two at the same instant: the greater order id.
            if last.map({ (entry.placedAtUs, entry.orderID) > ($0.placedAtUs, $0.orderID) }) ?? true { last = entry }
            switch entry.status {
            case .cancelled: cancelled += 1
            case .returned: returned += 1
            default: break
            }
            guard entry.status != .cancelled else { continue }
            let currency = entry.total.currency
            let refundedHere = entry.refunds.first { $0.currency == currency }?.minorUnits ?? 0
            add(max(0, entry.total.minorUnits - refundedHere), currency: currency, to: &spend, orders: 1)
        }
        orders.online = perChannel[1].count
        orders.onlineLastAtUs = perChannel[1].lastAt
        orders.instore = perChannel[2].count
        orders.instoreLastAtUs = perChannel[2].lastAt
        orders.mobile = perChannel[3].count
        orders.mobileLastAtUs = perChannel[3].lastAt
        orders.marketplace = perChannel[4].count
        orders.marketplaceLastAtUs = perChannel[4].lastAt
        orders.spend = spend
        orders.refunded = refunded
        orders.cancelled = cancelled
        orders.returned = returned
        orders.firstOrderAtUs = first
        orders.lastOrderAtUs = last?.placedAtUs ?? 0
        orders.lastOrderID = last?.orderID ?? ""
        orders.lastOrderStatus = last?.status ?? .unspecified
    }

    private static func moneyTotal(_ currency: String, _ minorUnits: Int64, orders: Int64 = 0) -> Projection.MoneyTotal {
        var total = Projection.MoneyTotal()
        total.currency = currency
        total.minorUnits = minorUnits
        total.orders = orders
        return total
    }

    private static func tallyItems(of order: FoldableEvent.Order, at micros: Int64, seq: UInt64, into orders: inout Projection.Orders) {
        let items = order.items
        for item in items { orders.items += Int64(item.quantity) }
        // Each product and each category is tallied once, at its first line, with the units of all
        // its lines. An order has a few lines: they are scanned rather than hashed into dictionaries,
        // which took half of tallying an order; a long order is hashed.
        guard items.count > 16 else {
            for (index, item) in items.enumerated() {
                let earlier = items[..<index]
                if !earlier.contains(where: { $0.productID == item.productID }) {
                    let units = items[index...].reduce(Int64(0)) { $1.productID == item.productID ? $0 + Int64($1.quantity) : $0 }
                    tally(item, units: units, at: micros, seq: seq, into: &orders.products)
                }
                if !item.category.isEmpty, !earlier.contains(where: { $0.category == item.category }) {
                    let units = items[index...].reduce(Int64(0)) { $1.category == item.category ? $0 + Int64($1.quantity) : $0 }
                    tally(category: item.category, units: units, into: &orders.categories)
                }
            }
            return
        }
        var unitsByProduct: [String: Int64] = [:]
        var unitsByCategory: [String: Int64] = [:]
        for item in items {
            unitsByProduct[item.productID, default: 0] += Int64(item.quantity)
            if !item.category.isEmpty { unitsByCategory[item.category, default: 0] += Int64(item.quantity) }
        }
        for item in items {
            if let units = unitsByProduct.removeValue(forKey: item.productID) {
                tally(item, units: units, at: micros, seq: seq, into: &orders.products)
            }
            if let units = unitsByCategory.removeValue(forKey: item.category) {
                tally(category: item.category, units: units, into: &orders.categories)
            }
        }
    }

    static func tally(_ item: FoldableEvent.Item, units: Int64, at micros: Int64, seq: UInt64, into products: inout [Projection.ProductTally]) {
        let position = products.firstIndex { $0.productID >= item.productID } ?? products.endIndex
        if position < products.endIndex, products[position].productID == item.productID {
            products[position].quantity += units
            products[position].orders += 1
            if !item.name.isEmpty, (micros, seq) > (products[position].namedAtUs, products[position].namedSeq) {
                products[position].name = item.name
                products[position].category = item.category
                products[position].namedAtUs = micros
                products[position].namedSeq = seq
            }
            return
        }
        var tally = Projection.ProductTally()
        tally.productID = item.productID
        tally.name = item.name
        tally.category = item.category
        tally.quantity = units
        tally.orders = 1
        if !item.name.isEmpty {
            tally.namedAtUs = micros
            tally.namedSeq = seq
        }
        products.insert(tally, at: position)
    }

    static func tally(category: String, units: Int64, into categories: inout [Projection.CategoryTally]) {
        let position = categories.firstIndex { $0.category >= category } ?? categories.endIndex
        if position < categories.endIndex, categories[position].category == category {
            categories[position].quantity += units
            categories[position].orders += 1
            return
        }
        var tally = Projection.CategoryTally()
        tally.category = category
        tally.quantity = units
        tally.orders = 1
        categories.insert(tally, at: position)
    }

    /// Adds to the total of `currency` in a list sorted by currency.
    static func add(_ minorUnits: Int64, currency: String, to totals: inout [Projection.MoneyTotal], orders: Int64 = 0) {
        let position = totals.firstIndex { $0.currency >= currency } ?? totals.endIndex
        if position < totals.endIndex, totals[position].currency == currency {
            // Held at the largest amount rather than trapping: amounts are bounded one by one
            // (`EventValidator.maximumMinorUnits`), but a history may hold any number of them.
            let (sum, overflow) = totals[position].minorUnits.addingReportingOverflow(minorUnits)
            totals[position].minorUnits = overflow ? (minorUnits < 0 ? .min : .max) : sum
            totals[position].orders += orders
            return
        }
        totals.insert(moneyTotal(currency, minorUnits, orders: orders), at: position)
    }
}
