import C360Core
import C360Model

/// The timeline's filters as the customer page's address carries them: `kind` (repeated),
/// `from` and `to` (UTC calendar days, both included) and `page` (the API's page token).
struct TimelineFilters: Equatable {
    var kinds: [C360_V1_EventKind] = []
    var from: CalendarDate?
    var to: CalendarDate?
    var pageToken = ""

    static let pageSize: Int32 = 25

    /// - Throws: `C360Error` `.invalidArgument` naming the parameter at fault.
    init(_ fields: FormFields) throws(C360Error) {
        for value in fields.all("kind") where !value.isEmpty {
            guard let kind = Display.kindsByParameter.first(where: { $0.parameter == value })?.kind else {
                throw .invalid("kind", "is not an event kind: \(value)")
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        if let text = fields.nonEmpty("from") {
            guard let date = CalendarDate(text) else { throw .invalid("from", "is not a date (YYYY-MM-DD): \(text)") }
            from = date
        }
        if let text = fields.nonEmpty("to") {
            guard let date = CalendarDate(text) else { throw .invalid("to", "is not a date (YYYY-MM-DD): \(text)") }
            to = date
        }
        if let from, let to, to < from { throw .invalid("to", "is before from") }
        pageToken = fields["page"] ?? ""
    }

    init() {}

    /// The `GetTimeline` request these filters ask for.
    func request(customerID: String) -> C360_V1_GetTimelineRequest {
        var request = C360_V1_GetTimelineRequest()
        request.customerID = customerID
        request.pageSize = Self.pageSize
        request.pageToken = pageToken
        request.kinds = kinds
        if let from { request.occurredAfter = Instant(microsecondsSinceEpoch: from.dayNumber * 86_400_000_000).timestamp }
        if let to { request.occurredBefore = Instant(microsecondsSinceEpoch: (to.dayNumber + 1) * 86_400_000_000).timestamp }
        return request
    }

    /// The query string of these filters with another page (`nil`: the first).
    func query(page: String?) -> String {
        var fields = FormFields(pairs: kinds.compactMap { kind in
            Display.kindsByParameter.first { $0.kind == kind }.map { ("kind", $0.parameter) }
        })
        if let from { fields = fields.setting("from", to: from.description) }
        if let to { fields = fields.setting("to", to: to.description) }
        if let page { fields = fields.setting("page", to: page) }
        return fields.encoded
    }
}
