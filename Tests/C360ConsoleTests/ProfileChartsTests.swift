@testable import C360Console
import C360Core
import C360Generator
import C360Model
import SwiftProtobuf
import Testing

/// The charts' spend follows the profile's own definition of lifetime value: for random histories
/// of orders, status changes, refunds and cancellations, in any arrival order, the orders' net
/// contributions add up to the lifetime value the fold computes.
@Suite struct ProfileChartsTests {
    static let base: Int64 = 1_767_225_600 // 2026-01-01T00:00:00Z

    static func event(_ id: String, seconds: Int64, _ payload: C360_V1_Event.OneOf_Payload) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = "cust_1"
        event.occurredAt = Google_Protobuf_Timestamp(seconds: seconds)
        event.source = "test"
        event.payload = payload
        return event
    }

    static func money(_ minor: Int64, _ currency: String) -> C360_V1_Money {
        var money = C360_V1_Money()
        money.minorUnits = minor
        money.currency = currency
        return money
    }

    /// A random history: orders in two currencies, their status changes with and without refunds.
    static func history(seed: UInt64) -> [C360_V1_Event] {
        var random = SeededRandom(seed: seed)
        var events: [C360_V1_Event] = []
        let statuses: [C360_V1_OrderStatus] = [.shipped, .delivered, .cancelled, .returned, .placed]
        for order in 0..<Int.random(in: 1...8, using: &random) {
            let orderID = "ord_\(order)"
            let currency = Bool.random(using: &random) ? "GBP" : "EUR"
            let placedAt = base + Int64.random(in: 0...(300 * 86_400), using: &random)
            var placed = C360_V1_OrderPlaced()
            placed.orderID = orderID
            placed.channel = .online
            placed.total = money(Int64.random(in: 100...50_000, using: &random), currency)
            var item = C360_V1_LineItem()
            item.productID = "sku_\(order)"
            item.quantity = 1
            item.unitPrice = placed.total
            placed.items = [item]
            events.append(event("place_\(order)", seconds: placedAt, .orderPlaced(placed)))
            for change in 0..<Int.random(in: 0...3, using: &random) {
                var status = C360_V1_OrderStatusChanged()
                status.orderID = orderID
                status.status = statuses.randomElement(using: &random)!
                if Bool.random(using: &random) {
                    status.refunded = money(Int64.random(in: 1...30_000, using: &random), Bool.random(using: &random) ? currency : "GBP")
                }
                let at = placedAt + Int64.random(in: -86_400...(40 * 86_400), using: &random)
                events.append(event("status_\(order)_\(change)", seconds: at, .orderStatusChanged(status)))
            }
        }
        return events
    }

    @Test(arguments: 0..<200)
    func contributionsAddUpToTheFoldsLifetimeValue(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &* 7_919)
        let events = Self.history(seed: UInt64(seed)).shuffled(using: &random)
        var projection = ProjectionFold.emptyProjection(customerID: "cust_1")
        var logged: [C360_V1_LoggedEvent] = []
        for (index, event) in events.enumerated() {
            ProjectionFold().apply(event, seq: UInt64(index + 1), resolution: nil, to: &projection)
            var entry = C360_V1_LoggedEvent()
            entry.seq = UInt64(index + 1)
            entry.event = event
            logged.append(entry)
        }
        let asOf = Instant(secondsSinceEpoch: Self.base + 400 * 86_400)
        let profile = ProfileEvaluator().profile(of: projection, asOf: asOf)
        for currency in ["GBP", "EUR"] {
            let lifetime = profile.purchases.lifetimeValue.first { $0.currency == currency }?.minorUnits ?? 0
            let contributions = ProfileCharts.orderContributions(of: logged.shuffled(using: &random), currency: currency)
            #expect(contributions.values.reduce(0) { $0 + $1.minorUnits } == lifetime, "seed \(seed) \(currency)")
            let months = ProfileCharts.monthlySpend(of: logged, currency: currency, months: 24, endingAt: asOf)
            #expect(months.reduce(0) { $0 + $1.minorUnits } == lifetime, "seed \(seed) \(currency): every order falls in the 24 months")
        }
    }

    @Test func monthsAndDaysAreUTCCalendarBuckets() {
        func logged(_ seq: UInt64, _ event: C360_V1_Event) -> C360_V1_LoggedEvent {
            var entry = C360_V1_LoggedEvent()
            entry.seq = seq
            entry.event = event
            return entry
        }
        var order = C360_V1_OrderPlaced()
        order.orderID = "o1"
        order.total = Self.money(1_250, "GBP")
        var late = order
        late.orderID = "o2"
        late.total = Self.money(500, "GBP")
        let events = [
            logged(1, Self.event("a", seconds: Self.base + 31 * 86_400 - 1, .orderPlaced(order))), // 2026-01-31T23:59:59Z
            logged(2, Self.event("b", seconds: Self.base + 31 * 86_400, .orderPlaced(late))), // 2026-02-01T00:00:00Z
            logged(3, Self.event("c", seconds: Self.base + 31 * 86_400 + 5, .webEvent(C360_V1_WebEvent()))),
        ]
        let end = Instant(secondsSinceEpoch: Self.base + 40 * 86_400) // 2026-02-10
        let months = ProfileCharts.monthlySpend(of: events, currency: "GBP", months: 3, endingAt: end)
        #expect(months == [
            .init(year: 2025, month: 12, minorUnits: 0), .init(year: 2026, month: 1, minorUnits: 1_250), .init(year: 2026, month: 2, minorUnits: 500),
        ])
        let days = ProfileCharts.dailyActivity(of: events, days: 11, endingAt: end)
        #expect(days.count == 11)
        #expect(days.first?.day.description == "2026-01-31")
        #expect(days.last?.day.description == "2026-02-10")
        #expect(days.map(\.events) == [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func moneyIsWrittenWithItsCurrencysDecimals() {
        #expect(Display.money(8_598, "GBP") == "85.98 GBP")
        #expect(Display.money(1_234_567_805, "EUR") == "12,345,678.05 EUR")
        #expect(Display.money(5_000, "JPY") == "5,000 JPY")
        #expect(Display.money(1_005, "KWD") == "1.005 KWD")
        #expect(Display.money(-7, "GBP") == "-0.07 GBP")
        #expect(Display.words(C360_V1_LifecycleStage.atRisk) == "at risk")
        #expect(Display.words(C360_V1_IdentityType.cookieID) == "cookie ID")
        #expect(Display.words(C360_V1_LifecycleStage.unspecified) == "—")
    }
}
