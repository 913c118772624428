public import C360Core
public import C360Model

/// The series the customer page draws, computed from the customer's events: pure, no I/O.
public enum ProfileCharts {
    public struct MonthlySpend: Sendable, Equatable {
        public var year: Int
        public var month: Int
        /// Net spend in minor units of the chart's currency.
        public var minorUnits: Int64
    }

    public struct DailyActivity: Sendable, Equatable {
        public var day: CalendarDate
        public var events: Int
    }

    /// What each order contributes to lifetime value in `currency`, by the rules of the profile's
    /// fold: its earliest placement (by `occurred_at`, then log position) sets its time and total;
    /// its latest status (the same order) decides whether it is cancelled; refunds in its currency
    /// come off its total, never below zero; a cancelled order contributes nothing.
    public static func orderContributions(of events: [C360_V1_LoggedEvent], currency: String) -> [String: (placedAt: Instant, minorUnits: Int64)] {
        struct Order {
            var placement: (at: Instant, seq: UInt64, total: C360_V1_Money)?
            var status: (at: Instant, seq: UInt64, value: C360_V1_OrderStatus)?
            var refunds: [String: Int64] = [:]

            mutating func setStatus(_ value: C360_V1_OrderStatus, at: Instant, seq: UInt64) {
                if let status, (status.at, status.seq) > (at, seq) { return }
                self.status = (at, seq, value)
            }
        }
        var orders: [String: Order] = [:]
        for logged in events {
            let at = Instant(logged.event.occurredAt)
            switch logged.event.payload {
            case .orderPlaced(let placed):
                var order = orders[placed.orderID] ?? Order()
                if order.placement.map({ ($0.at, $0.seq) > (at, logged.seq) }) ?? true {
                    order.placement = (at, logged.seq, placed.total)
                }
                order.setStatus(placed.status == .unspecified ? .placed : placed.status, at: at, seq: logged.seq)
                orders[placed.orderID] = order
            case .orderStatusChanged(let change):
                var order = orders[change.orderID] ?? Order()
                order.setStatus(change.status, at: at, seq: logged.seq)
                if change.hasRefunded, change.refunded.minorUnits > 0 {
                    order.refunds[change.refunded.currency, default: 0] += change.refunded.minorUnits
                }
                orders[change.orderID] = order
            default:
                continue
            }
        }
        var contributions: [String: (placedAt: Instant, minorUnits: Int64)] = [:]
        for (orderID, order) in orders {
            guard let placement = order.placement, placement.total.currency == currency else { continue }
            let cancelled = order.status?.value == .cancelled
            let net = cancelled ? 0 : max(0, placement.total.minorUnits - (order.refunds[currency] ?? 0))
            contributions[orderID] = (placement.at, net)
        }
        return contributions
    }

    /// Net spend in `currency` per UTC calendar month, by the month each order was placed in: the
    /// `months` months up to and including the month of `end`, oldest first.
    public static func monthlySpend(of events: [C360_V1_LoggedEvent], currency: String, months: Int = 12, endingAt end: Instant) -> [MonthlySpend] {
        let last = CalendarDate(end)
        var series: [MonthlySpend] = (0..<months).reversed().map { back in
            let index = last.year * 12 + (last.month - 1) - back
            return MonthlySpend(year: index / 12, month: index % 12 + 1, minorUnits: 0)
        }
        guard let first = series.first else { return [] }
        let firstIndex = first.year * 12 + first.month - 1
        for (_, contribution) in orderContributions(of: events, currency: currency) {
            let date = CalendarDate(contribution.placedAt)
            let offset = date.year * 12 + date.month - 1 - firstIndex
            if offset >= 0, offset < months { series[offset].minorUnits += contribution.minorUnits }
        }
        return series
    }

    /// Events per UTC day (by `occurred_at`) over the `days` days up to and including the day of
    /// `end`, oldest first.
    public static func dailyActivity(of events: [C360_V1_LoggedEvent], days: Int = 90, endingAt end: Instant) -> [DailyActivity] {
        let lastDay = end.dayNumber
        let firstDay = lastDay - Int64(days) + 1
        var counts = [Int](repeating: 0, count: days)
        for logged in events {
            let day = Instant(logged.event.occurredAt).dayNumber
            if day >= firstDay, day <= lastDay { counts[Int(day - firstDay)] += 1 }
        }
        return counts.enumerated().map { offset, count in
            DailyActivity(day: CalendarDate(Instant(microsecondsSinceEpoch: (firstDay + Int64(offset)) * 86_400_000_000)), events: count)
        }
    }
}

/// Bar charts as inline SVG: no script, no external resource, readable by a screen reader
/// (a title, and each bar's value in its own title).
enum BarChart {
    struct Bar {
        var label: String
        var value: Double
        var title: String
    }

    static func svg(_ bars: [Bar], title: String, summary: String, axisStart: String, axisEnd: String, maxLabel: String) -> HTML {
        let width = 640.0, height = 160.0, top = 14.0, bottom = 20.0
        let plot = height - top - bottom
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let step = width / Double(max(bars.count, 1))
        let gap = step > 6 ? 1.5 : 0.5
        var rects: [HTML] = []
        for (index, bar) in bars.enumerated() {
            let barHeight = bar.value <= 0 ? 0 : max(1, (bar.value / maximum * plot))
            let x = Double(index) * step + gap / 2
            let y = top + plot - barHeight
            rects.append("<rect class=\"bar\" x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(max(step - gap, 0.5)))\" height=\"\(format(barHeight))\"><title>\(bar.title)</title></rect>")
        }
        return """
            <svg class="chart" viewBox="0 0 \(format(width)) \(format(height))" role="img" aria-labelledby="\(HTML(trusted: chartID(title)))">\
            <title id="\(HTML(trusted: chartID(title)))">\(title): \(summary)</title>\
            <line class="axis" x1="0" y1="\(format(top + plot))" x2="\(format(width))" y2="\(format(top + plot))"/>\
            \(rects)\
            <text class="label" x="0" y="\(format(height - 4))">\(axisStart)</text>\
            <text class="label end" x="\(format(width))" y="\(format(height - 4))">\(axisEnd)</text>\
            <text class="label" x="0" y="10">\(maxLabel)</text>\
            </svg>
            """
    }

    private static func chartID(_ title: String) -> String {
        "chart-" + String(title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    private static func format(_ value: Double) -> HTML {
        HTML(trusted: String(Double(Int((value * 10).rounded())) / 10))
    }
}
