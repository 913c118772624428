import C360Core
import C360Model
import Foundation
import SwiftProtobuf

/// One customer on one page: who they are, their figures, pictures of their spend and activity,
/// their segments and their journey. The part that changes (`live-region`) is fetched again by the
/// page's script whenever the customer's change stream reports a change.
struct CustomerPage {
    var profile: C360_V1_Profile
    var timeline: C360_V1_GetTimelineResponse
    var filters: TimelineFilters
    /// The customer's newest events (up to `chartEventLimit`) for the charts.
    var chartEvents: [C360_V1_LoggedEvent]
    var chartEventsCapped: Bool
    var segments: [String]
    var mayErase: Bool

    static let chartEventLimit = 5_000

    var customerID: String { profile.customerID }

    var displayName: String {
        let name = [profile.details.firstName, profile.details.lastName].filter { !$0.isEmpty }.joined(separator: " ")
        return name.isEmpty ? profile.customerID : name
    }

    func render(_ layout: PageLayout) -> HTML {
        let path = "/customers/" + FormFields.encode(customerID)
        return layout.render(title: displayName, """
            <h1>\(displayName)</h1>
            <p class="sub"><span data-field="customer_id">\(customerID)</span> · \(Display.words(profile.derived.lifecycleStage)) · \
            loyalty \(Display.words(profile.details.loyaltyTier)) \
            · <span id="live-status" class="live" role="status" aria-live="polite">Live updates starting…</span></p>
            \(profile.personalDataRedacted ? "<p class=\"note\">Personal data is hidden: your access token lacks the read:pii scope.</p>" : "")
            <div id="live-region" data-live="\(path)/live">
            \(liveRegion(path: path))
            </div>
            """)
    }

    func liveRegion(path: String) -> HTML {
        """
        <section class="card" aria-labelledby="who-heading"><h2 id="who-heading">Who</h2>\(who)</section>
        <section class="card" aria-labelledby="identities-heading"><h2 id="identities-heading">Identities</h2>\(identities)</section>
        <section class="card" aria-labelledby="figures-heading"><h2 id="figures-heading">Figures</h2>\(figures)</section>
        <div class="grid">
        <section class="card" aria-labelledby="spend-heading"><h2 id="spend-heading">Spend per month</h2>\(spendChart)</section>
        <section class="card" aria-labelledby="activity-heading"><h2 id="activity-heading">Activity per day</h2>\(activityChart)</section>
        </div>
        <div class="grid">
        <section class="card" aria-labelledby="products-heading"><h2 id="products-heading">Purchases</h2>\(purchases)</section>
        <section class="card" aria-labelledby="support-heading"><h2 id="support-heading">Support and errors</h2>\(support)</section>
        </div>
        <section class="card" aria-labelledby="segments-heading"><h2 id="segments-heading">Segments</h2>\(segmentList)</section>
        <section class="card" aria-labelledby="timeline-heading"><h2 id="timeline-heading">Journey</h2>\(timelineSection(path: path))</section>
        \(mayErase ? "<p><a class=\"button danger\" href=\"\(path)/erase\">Erase this customer…</a></p>" as HTML : "")
        """
    }

    // MARK: Who

    private var who: HTML {
        let details = profile.details
        let address = [details.address.line1, details.address.line2, details.address.city, details.address.region,
                       details.address.postalCode, details.address.country].filter { !$0.isEmpty }.joined(separator: ", ")
        let consent = [("email marketing", details.consent.emailMarketing), ("SMS marketing", details.consent.smsMarketing),
                       ("personalisation", details.consent.personalisation)]
        let consentBadges: [HTML] = consent.map { name, given in "<span class=\"badge\">\(name): \(given ? "yes" : "no")</span>" }
        let age: String = details.hasAge ? " (age \(details.age))" : ""
        return """
            <dl class="facts">
            <dt>Name</dt><dd data-field="details.name">\(orDash([details.firstName, details.lastName].filter { !$0.isEmpty }.joined(separator: " ")))</dd>
            <dt>Email</dt><dd data-field="details.email">\(orDash(details.email))</dd>
            <dt>Phone</dt><dd data-field="details.phone">\(orDash(details.phone))</dd>
            <dt>Date of birth</dt><dd data-field="details.date_of_birth">\(orDash(details.dateOfBirth))\(age)</dd>
            <dt>Gender</dt><dd>\(Display.words(details.gender))</dd>
            <dt>Address</dt><dd data-field="details.address">\(orDash(address))</dd>
            <dt>Loyalty</dt><dd data-field="details.loyalty">\(Display.words(details.loyaltyTier)), \(Display.count(details.loyaltyPoints)) points</dd>
            <dt>Signed up</dt><dd>\(orDash(details.signupDate))\(details.acquisitionChannel.isEmpty ? "" : " via \(details.acquisitionChannel)")</dd>
            <dt>Consent</dt><dd>\(consentBadges)</dd>
            </dl>
            """
    }

    private var identities: HTML {
        var rows: [HTML] = profile.identities.map { linked in
            """
            <tr><td>\(Display.identityType(linked.identity.type))</td><td>\(orDash(linked.identity.value))</td>\
            <td>\(linked.linkedByEventID) <span class="live">seq \(linked.linkedSeq)</span></td>\
            <td>\(Display.time(linked.linkedAt))</td>\
            <td>\(linked.mergedFromAnonymous ? "<span class=\"badge\">merged an anonymous history</span>" as HTML : "")</td></tr>
            """
        }
        if rows.isEmpty { rows = ["<tr><td colspan=\"5\">No identities linked.</td></tr>"] }
        let conflicts: [HTML] = profile.identityConflicts.map { conflict in
            """
            <tr><td>\(Display.identityType(conflict.identity.type))</td><td>\(orDash(conflict.identity.value))</td>\
            <td>\(conflict.eventID)</td><td>\(Display.time(conflict.at))</td><td>\(Display.words(conflict.reason))</td></tr>
            """
        }
        return """
            <div class="scroll"><table><caption class="live">Linked identities and the event that linked each</caption>
            <thead><tr><th scope="col">Type</th><th scope="col">Value</th><th scope="col">Linked by</th><th scope="col">At</th><th scope="col">Lineage</th></tr></thead>
            <tbody data-field="identities">\(rows)</tbody></table></div>
            \(conflicts.isEmpty ? "" : """
            <h3>Refused links</h3><div class="scroll"><table>
            <thead><tr><th scope="col">Type</th><th scope="col">Value</th><th scope="col">Event</th><th scope="col">At</th><th scope="col">Why</th></tr></thead>
            <tbody data-field="identity_conflicts">\(conflicts)</tbody></table></div>
            """ as HTML)
            """
    }

    // MARK: Figures

    private var figures: HTML {
        let purchases = profile.purchases, derived = profile.derived, activity = profile.activity, support = profile.support
        let recent = profile.recent
        var items: [(String, String, String)] = [
            ("Lifetime value", "purchases.lifetime_value", Display.moneyList(purchases.lifetimeValue)),
            ("Orders", "purchases.total_orders", Display.count(purchases.totalOrders)),
            ("Online orders", "purchases.online_orders", Display.count(purchases.onlineOrders)),
            ("In-store orders", "purchases.instore_orders", Display.count(purchases.instoreOrders)),
            ("Mobile orders", "purchases.mobile_orders", Display.count(purchases.mobileOrders)),
            ("Marketplace orders", "purchases.marketplace_orders", Display.count(purchases.marketplaceOrders)),
            ("Average order value", "purchases.average_order_value", Display.money(purchases.averageOrderValue)),
            ("Preferred channel", "purchases.preferred_channel", Display.words(purchases.preferredChannel)),
            ("Lifecycle stage", "derived.lifecycle_stage", Display.words(derived.lifecycleStage)),
            ("Days since last order", "derived.days_since_last_order", derived.hasDaysSinceLastOrder ? Display.count(derived.daysSinceLastOrder) : "—"),
            ("RFM", "derived.rfm", "\(derived.rfm.recency) · \(derived.rfm.frequency) · \(derived.rfm.monetary)"),
            ("Health score", "derived.health_score", "\(derived.healthScore) / 100"),
            ("Churn risk", "derived.churn_risk", derived.churnRisk ? "yes" : "no"),
            ("Open tickets", "support.open_tickets", Display.count(support.openTickets)),
            ("Average satisfaction", "support.average_satisfaction",
             support.hasAverageSatisfaction ? String(format: "%.1f / 5", support.averageSatisfaction) : "—"),
            ("Email open rate", "activity.email_open_rate", Display.percent(activity.emailOpenRate)),
            ("Email click rate", "activity.email_click_rate", Display.percent(activity.emailClickRate)),
        ]
        let window = recent.windowDays
        items += [
            ("Web events, \(window) days", "recent.web_events", Display.count(recent.webEvents)),
            ("Page views, \(window) days", "recent.page_views", Display.count(recent.pageViews)),
            ("Product views, \(window) days", "recent.product_views", Display.count(recent.productViews)),
            ("Sessions, \(window) days", "recent.sessions", Display.count(recent.sessions)),
            ("Orders, \(window) days", "recent.orders", Display.count(recent.orders)),
        ]
        let cells: [HTML] = items.map { label, field, value in "<div><dt>\(label)</dt><dd data-field=\"\(field)\">\(value)</dd></div>" }
        let opportunities = [("channel expansion", derived.opportunities.channelExpansion), ("loyalty tier upgrade", derived.opportunities.tierUpgrade),
                             ("app adoption", derived.opportunities.appAdoption)].filter(\.1).map(\.0)
        let badges: [HTML] = opportunities.map { "<span class=\"badge\">\($0)</span>" }
        return """
            <dl class="figures">\(cells)</dl>
            <h3>Opportunities</h3><p data-field="derived.opportunities">\(badges.isEmpty ? "none" as HTML : badges.joined())</p>
            <p class="live">Profile as of \(Display.time(profile.asOf)) · \(Display.count(Int64(profile.eventCount))) events · log position \(profile.seq)</p>
            """
    }

    // MARK: Charts

    /// The main currency: the one with the highest lifetime value, as the profile decides it.
    private var mainCurrency: String {
        profile.purchases.averageOrderValue.currency.isEmpty
            ? (profile.purchases.lifetimeValue.max { $0.minorUnits < $1.minorUnits }?.currency ?? "")
            : profile.purchases.averageOrderValue.currency
    }

    private var asOf: Instant { Instant(profile.asOf) }

    private var spendChart: HTML {
        let currency = mainCurrency
        guard !currency.isEmpty else { return "<p>No orders yet.</p>" }
        let series = ProfileCharts.monthlySpend(of: chartEvents, currency: currency, months: 12, endingAt: asOf)
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let bars = series.map { month in
            BarChart.Bar(label: "\(names[month.month - 1]) \(month.year)", value: Double(month.minorUnits),
                         title: "\(names[month.month - 1]) \(month.year): \(Display.money(month.minorUnits, currency))")
        }
        let total = series.reduce(0) { $0 + $1.minorUnits }
        let peak = series.map(\.minorUnits).max() ?? 0
        return """
            \(BarChart.svg(bars, title: "Spend per month", summary: "\(Display.money(total, currency)) over the last 12 months, net of refunds and cancellations",
                           axisStart: bars.first?.label ?? "", axisEnd: bars.last?.label ?? "", maxLabel: Display.money(peak, currency)))
            <p class="live">Net spend in \(currency) by the month each order was placed (UTC)\(chartNote).</p>
            """
    }

    private var activityChart: HTML {
        let series = ProfileCharts.dailyActivity(of: chartEvents, days: 90, endingAt: asOf)
        let bars = series.map { day in
            BarChart.Bar(label: day.day.description, value: Double(day.events), title: "\(day.day.description): \(day.events) events")
        }
        let total = series.reduce(0) { $0 + $1.events }
        let peak = series.map(\.events).max() ?? 0
        return """
            \(BarChart.svg(bars, title: "Activity per day", summary: "\(total) events over the last 90 days",
                           axisStart: bars.first?.label ?? "", axisEnd: bars.last?.label ?? "", maxLabel: "\(peak) events"))
            <p class="live">Events per UTC day by when they happened, the 90 days up to the profile's date\(chartNote).</p>
            """
    }

    private var chartNote: String {
        chartEventsCapped ? ", from the newest \(Self.chartEventLimit) events" : ""
    }

    // MARK: Purchases, support

    private var purchases: HTML {
        let purchases = profile.purchases
        let products: [HTML] = purchases.topProducts.prefix(5).map { product in
            "<tr><td>\(product.name.isEmpty ? product.productID : product.name)</td><td>\(product.category)</td><td class=\"num\">\(product.quantity)</td><td class=\"num\">\(product.orders)</td></tr>"
        }
        return """
            <dl class="facts">
            <dt>Last order</dt><dd data-field="purchases.last_order">\(orDash(purchases.lastOrderID))\
            \(purchases.lastOrderID.isEmpty ? "" : ", \(Display.words(purchases.lastOrderStatus)), \(Display.time(purchases.hasLastOrderAt ? purchases.lastOrderAt : nil))")</dd>
            <dt>First order</dt><dd>\(Display.time(purchases.hasFirstOrderAt ? purchases.firstOrderAt : nil))</dd>
            <dt>Items bought</dt><dd data-field="purchases.items_bought">\(Display.count(purchases.itemsBought)) (\(String(format: "%.2f", purchases.itemsPerOrder)) per order)</dd>
            <dt>Cancelled, returned</dt><dd>\(purchases.cancelledOrders) cancelled, \(purchases.returnedOrders) returned</dd>
            <dt>Refunded</dt><dd data-field="purchases.refunded">\(Display.moneyList(purchases.refunded))</dd>
            </dl>
            <h3>Top products</h3>
            \(products.isEmpty ? "<p>None yet.</p>" as HTML : """
            <div class="scroll"><table><thead><tr><th scope="col">Product</th><th scope="col">Category</th><th scope="col" class="num">Units</th><th scope="col" class="num">Orders</th></tr></thead>
            <tbody>\(products)</tbody></table></div>
            """)
            """
    }

    private var support: HTML {
        let support = profile.support, activity = profile.activity
        let open: [HTML] = support.openTicketIds.map { "<span class=\"badge warn\">\($0)</span>" }
        let errors: [HTML] = activity.recentErrors.prefix(5).map { error in
            "<li><strong>\(error.page)</strong>: \(error.message) <span class=\"live\">×\(error.count), last \(Display.time(error.lastAt))</span></li>"
        }
        return """
            <dl class="facts">
            <dt>Open tickets</dt><dd data-field="support.open_ticket_ids">\(open.isEmpty ? "none" as HTML : open.joined())</dd>
            <dt>Tickets</dt><dd>\(support.totalTickets) in all, \(support.reopenedTickets) reopened, \(support.escalations) escalations</dd>
            <dt>Last ticket</dt><dd>\(Display.time(support.hasLastTicketAt ? support.lastTicketAt : nil))</dd>
            <dt>Emails</dt><dd>\(activity.emailsSent) sent, \(activity.emailsOpened) opened, \(activity.emailsClicked) clicked\(activity.unsubscribed ? ", unsubscribed" : "")</dd>
            <dt>Last visit</dt><dd>\(Display.time(activity.hasLastVisitAt ? activity.lastVisitAt : nil))</dd>
            <dt>Login failures</dt><dd>\(activity.loginFailures)</dd>
            </dl>
            <h3>Recent web errors</h3>
            \(errors.isEmpty ? "<p>None.</p>" as HTML : "<ul class=\"plain\" data-field=\"activity.recent_errors\">\(errors)</ul>")
            """
    }

    private var segmentList: HTML {
        guard !segments.isEmpty else { return "<p data-field=\"segments\">In no segment.</p>" }
        let items: [HTML] = segments.map { "<a class=\"badge\" href=\"/segments/\(FormFields.encode($0))\">\($0)</a>" }
        return "<p data-field=\"segments\">\(items)</p>"
    }

    // MARK: Timeline

    private func timelineSection(path: String) -> HTML {
        let checkboxes: [HTML] = Display.kindsByParameter.map { parameter, kind in
            let id = "kind-\(parameter)"
            return "<label for=\"\(id)\"><input type=\"checkbox\" id=\"\(id)\" name=\"kind\" value=\"\(parameter)\"\(HTML(trusted: filters.kinds.contains(kind) ? " checked" : ""))>\(Display.kindName(kind))</label>"
        }
        let rows: [HTML] = timeline.events.map { logged in
            let kind = EventSummary.kind(of: logged.event)
            return """
                <tr><td>\(Display.time(logged.event.occurredAt))</td><td><span class="badge">\(Display.kindName(kind))</span></td>\
                <td>\(EventSummary.describe(logged.event))</td><td class="wide">\(logged.event.source)</td><td class="num wide">\(logged.seq)</td></tr>
                """
        }
        let newer: HTML = filters.pageToken.isEmpty ? "" : "<a href=\"\(path)?\(filters.query(page: nil))#timeline-heading\">Newest events</a>"
        let older: HTML = timeline.nextPageToken.isEmpty ? "" : "<a href=\"\(path)?\(filters.query(page: timeline.nextPageToken))#timeline-heading\" rel=\"next\">Older events</a>"
        return """
            <form class="inline" method="get" action="\(path)#timeline-heading" aria-label="Filter the journey">
            <fieldset><legend>Kinds</legend><div class="kinds">\(checkboxes)</div></fieldset>
            <label for="timeline-from">From<input type="date" id="timeline-from" name="from" value="\(filters.from?.description ?? "")"></label>
            <label for="timeline-to">To<input type="date" id="timeline-to" name="to" value="\(filters.to?.description ?? "")"></label>
            <button type="submit">Apply</button>
            <a class="button quiet" href="\(path)#timeline-heading">Clear</a>
            </form>
            <div class="scroll"><table>
            <caption class="live">Newest first, \(TimelineFilters.pageSize) per page\(timeline.personalDataRedacted ? "; personal fields hidden" : "")</caption>
            <thead><tr><th scope="col">When (UTC)</th><th scope="col">Kind</th><th scope="col">What</th><th scope="col" class="wide">Source</th><th scope="col" class="num wide">Seq</th></tr></thead>
            <tbody data-field="timeline">\(rows.isEmpty ? "<tr><td colspan=\"5\">No events match.</td></tr>" as HTML : rows.joined())</tbody>
            </table></div>
            <nav class="pager" aria-label="Journey pages">\(newer)\(older)</nav>
            """
    }

    private func orDash(_ text: String) -> String { text.isEmpty ? "—" : text }
}
