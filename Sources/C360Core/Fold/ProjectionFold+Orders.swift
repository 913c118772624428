import C360Model

extension ProjectionFold {
    /// Counts the order once per order id: the same order reported by two systems (the web shop
    /// and the payment service, say) is not counted twice while it is among the recent orders.
    /// Returns whether the order was counted (not a repeat of a recent one).
    func applyOrder(_ order: C360_V1_OrderPlaced, at placedAt: Instant, to orders: inout C360_Store_V1_Orders) -> Bool {
        if orders.recent.contains(where: { $0.orderID == order.orderID }) { return false }
        let micros = placedAt.microsecondsSinceEpoch
        let status: C360_V1_OrderStatus = order.status == .unspecified ? .placed : order.status

        switch order.channel {
        case .online:
            orders.online += 1
            orders.onlineLastAtUs = max(orders.onlineLastAtUs, micros)
        case .instore:
            orders.instore += 1
            orders.instoreLastAtUs = max(orders.instoreLastAtUs, micros)
        case .mobile:
            orders.mobile += 1
            orders.mobileLastAtUs = max(orders.mobileLastAtUs, micros)
        case .marketplace:
            orders.marketplace += 1
            orders.marketplaceLastAtUs = max(orders.marketplaceLastAtUs, micros)
        case .unspecified, .UNRECOGNIZED: break
        }
        var unitsByProduct: [String: Int64] = [:]
        var unitsByCategory: [String: Int64] = [:]
        for item in order.items {
            orders.items += Int64(item.quantity)
            unitsByProduct[item.productID, default: 0] += Int64(item.quantity)
            if !item.category.isEmpty { unitsByCategory[item.category, default: 0] += Int64(item.quantity) }
        }
        for item in order.items {
            if let units = unitsByProduct.removeValue(forKey: item.productID) {
                Self.tally(item, units: units, into: &orders.products)
            }
            if let units = unitsByCategory.removeValue(forKey: item.category) {
                Self.tally(category: item.category, units: units, into: &orders.categories)
            }
        }
        if status == .cancelled {
            orders.cancelled += 1
        } else {
            Self.add(order.total.minorUnits, currency: order.total.currency, orders: 1, to: &orders.spend)
        }
        if status == .returned { orders.returned += 1 }

        if orders.firstOrderAtUs == 0 || micros < orders.firstOrderAtUs { orders.firstOrderAtUs = micros }
        if micros >= orders.lastOrderAtUs {
            orders.lastOrderAtUs = micros
            orders.lastOrderID = order.orderID
            orders.lastOrderStatus = status
        }

        var summary = C360_Store_V1_OrderSummary()
        summary.orderID = order.orderID
        summary.placedAtUs = micros
        summary.channel = order.channel
        summary.total = order.total
        summary.status = status
        let position = orders.recent.firstIndex { $0.placedAtUs < micros } ?? orders.recent.endIndex
        orders.recent.insert(summary, at: position)
        if orders.recent.count > recentOrdersKept {
            orders.recent.removeLast(orders.recent.count - recentOrdersKept)
        }
        return true
    }

    /// A cancellation takes the order's total out of spend; a refund is recorded and, unless the
    /// order was cancelled (its total already out), taken out of spend too.
    func applyStatusChange(_ change: C360_V1_OrderStatusChanged, to orders: inout C360_Store_V1_Orders) {
        let index = orders.recent.firstIndex { $0.orderID == change.orderID }
        let previous = index.map { orders.recent[$0].status }
        if change.status != previous {
            if change.status == .cancelled {
                orders.cancelled += 1
                if let index {
                    let total = orders.recent[index].total
                    Self.add(-total.minorUnits, currency: total.currency, orders: -1, to: &orders.spend)
                }
            }
            if change.status == .returned { orders.returned += 1 }
            if previous == .cancelled, let index {
                // An order un-cancelled counts again.
                orders.cancelled -= 1
                let total = orders.recent[index].total
                Self.add(total.minorUnits, currency: total.currency, orders: 1, to: &orders.spend)
            }
            if previous == .returned { orders.returned -= 1 }
        }
        if change.hasRefunded, change.refunded.minorUnits > 0 {
            Self.add(change.refunded.minorUnits, currency: change.refunded.currency, to: &orders.refunded)
            if change.status != .cancelled, previous != .cancelled {
                Self.add(-change.refunded.minorUnits, currency: change.refunded.currency, to: &orders.spend)
            }
        }
        if let index { orders.recent[index].status = change.status }
        if change.orderID == orders.lastOrderID { orders.lastOrderStatus = change.status }
    }

    static func tally(_ item: C360_V1_LineItem, units: Int64, into products: inout [C360_Store_V1_ProductTally]) {
        let position = products.firstIndex { $0.productID >= item.productID } ?? products.endIndex
        if position < products.endIndex, products[position].productID == item.productID {
            products[position].quantity += units
            products[position].orders += 1
            if !item.name.isEmpty { products[position].name = item.name }
            if !item.category.isEmpty { products[position].category = item.category }
            return
        }
        var tally = C360_Store_V1_ProductTally()
        tally.productID = item.productID
        tally.name = item.name
        tally.category = item.category
        tally.quantity = units
        tally.orders = 1
        products.insert(tally, at: position)
    }

    static func tally(category: String, units: Int64, into categories: inout [C360_Store_V1_CategoryTally]) {
        let position = categories.firstIndex { $0.category >= category } ?? categories.endIndex
        if position < categories.endIndex, categories[position].category == category {
            categories[position].quantity += units
            categories[position].orders += 1
            return
        }
        var tally = C360_Store_V1_CategoryTally()
        tally.category = category
        tally.quantity = units
        tally.orders = 1
        categories.insert(tally, at: position)
    }

    /// Adds to the total of `currency`; `orders` counts the orders (not cancelled) behind a spend total.
    static func add(_ minorUnits: Int64, currency: String, orders: Int64 = 0, to totals: inout [C360_Store_V1_MoneyTotal]) {
        let position = totals.firstIndex { $0.currency >= currency } ?? totals.endIndex
        if position < totals.endIndex, totals[position].currency == currency {
            totals[position].minorUnits += minorUnits
            totals[position].orders += orders
            return
        }
        var total = C360_Store_V1_MoneyTotal()
        total.currency = currency
        total.minorUnits = minorUnits
        total.orders = orders
        totals.insert(total, at: position)
    }
}
