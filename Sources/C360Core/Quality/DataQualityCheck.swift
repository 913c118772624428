import C360Model

/// The data-quality rules `c360 validate` applies to an NDJSON file before anything is ingested
/// (the rules of the Spark seed's customer_analytics_c360: customer ids present and unique, emails
/// present and well-formed, amounts positive, dates valid and reasonable), with a count and the
/// first examples of each violation.
///
/// Pure: feed it lines in order with `check(line:at:)`, then read `report`.
public struct DataQualityCheck: Sendable {
    public enum Rule: String, CaseIterable, Sendable {
        /// The line is not an event c360 would accept (bad JSON, unknown field, missing event_id, ...).
        case malformed = "malformed_event"
        /// The event has neither a customer_id nor an identity: nobody it could belong to.
        /// (An event with identities only is an anonymous visitor's, which c360 keeps.)
        case missingCustomerID = "missing_customer_id"
        /// The event_id was already used earlier in the file: the later line would be a no-op.
        case duplicateEventID = "duplicate_event_id"
        /// Two customer ids upsert the same email: probably one person under two ids.
        case duplicateCustomer = "duplicate_customer"
        /// An upserted email is empty or not an address.
        case badEmail = "bad_email"
        /// An order total, unit price or refund is zero or negative.
        case nonPositiveAmount = "non_positive_amount"
        /// occurred_at in the future or before 2000; a date of birth or signup date that is not a
        /// date, is in the future, or (birth) more than 120 years back.
        case impossibleDate = "impossible_date"

        public var summary: String {
            switch self {
            case .malformed: "line is not a valid event"
            case .missingCustomerID: "neither customer_id nor identity"
            case .duplicateEventID: "event_id repeated"
            case .duplicateCustomer: "same email under two customer ids"
            case .badEmail: "email empty or malformed"
            case .nonPositiveAmount: "amount zero or negative"
            case .impossibleDate: "date impossible or unreasonable"
            }
        }
    }

    public struct Example: Sendable, Equatable {
        public var line: UInt64
        public var eventID: String
        public var detail: String
    }

    public struct Finding: Sendable {
        public var rule: Rule
        public var count: UInt64 = 0
        public var examples: [Example] = []
    }

    public struct Report: Sendable {
        public var lines: UInt64 = 0
        public var findings: [Finding] = Rule.allCases.map { Finding(rule: $0) }
        public var violations: UInt64 { findings.reduce(0) { $0 + $1.count } }
        public func count(_ rule: Rule) -> UInt64 { findings.first { $0.rule == rule }?.count ?? 0 }
    }

    public private(set) var report = Report()
    /// Examples kept per rule. Default 5.
    public var examplesKept = 5
    /// "Now" for dates in the future.
    public var now: Instant
    private let decoder = EventJSONDecoder(validator: nil)
    private let validator = EventValidator()
    private var eventIDs: Set<String> = []
    private var emailOwners: [String: String] = [:]

    public init(now: Instant = .now) {
        self.now = now
    }

    public mutating func check(line: some Collection<UInt8>, at number: UInt64) {
        report.lines += 1
        let event: C360_V1_Event
        do throws(C360Error) {
            event = try decoder.decode(line: line)
        } catch {
            record(.malformed, number, "", error.description)
            return
        }
        let id = event.eventID
        if !eventIDs.insert(id).inserted, !id.isEmpty {
            record(.duplicateEventID, number, id, "event_id \(id) appeared on an earlier line")
        }
        if event.customerID.isEmpty, event.identities.isEmpty {
            record(.missingCustomerID, number, id, "no customer_id and no identity")
        }
        checkAmounts(event, number)
        checkDates(event, number)
        if case .customerUpserted(let customer) = event.payload, customer.hasEmail {
            let email = IdentityKey.normalized(.init(type: .email, value: customer.email)).value
            if !EventValidator.isPlausibleEmail(customer.email) {
                record(.badEmail, number, id, customer.email.isEmpty ? "email is empty" : "\"\(customer.email)\" is not an email address")
            } else if !event.customerID.isEmpty {
                if let owner = emailOwners[email], owner != event.customerID {
                    record(.duplicateCustomer, number, id, "\(event.customerID) upserts the email of \(owner)")
                } else {
                    emailOwners[email] = event.customerID
                }
            }
        }
        // Whatever else the append path would refuse.
        do throws(C360Error) {
            try validator.validate(event)
        } catch {
            if !Self.coveredByRules(error) { record(.malformed, number, id, error.description) }
        }
    }

    private mutating func checkAmounts(_ event: C360_V1_Event, _ number: UInt64) {
        switch event.payload {
        case .orderPlaced(let order):
            if order.total.minorUnits <= 0 { record(.nonPositiveAmount, number, event.eventID, "order \(order.orderID) total is \(order.total.minorUnits)") }
            for item in order.items where item.unitPrice.minorUnits <= 0 {
                record(.nonPositiveAmount, number, event.eventID, "line item \(item.productID) unit price is \(item.unitPrice.minorUnits)")
            }
        case .orderStatusChanged(let change):
            if change.hasRefunded, change.refunded.minorUnits <= 0 {
                record(.nonPositiveAmount, number, event.eventID, "refund of order \(change.orderID) is \(change.refunded.minorUnits)")
            }
        default:
            break
        }
    }

    private mutating func checkDates(_ event: C360_V1_Event, _ number: UInt64) {
        let occurred = Instant(event.occurredAt)
        if !event.hasOccurredAt {
            record(.impossibleDate, number, event.eventID, "occurred_at is missing")
        } else if occurred > now.adding(days: 1) {
            record(.impossibleDate, number, event.eventID, "occurred_at \(occurred) is in the future")
        } else if occurred < Instant(secondsSinceEpoch: 946_684_800) {
            record(.impossibleDate, number, event.eventID, "occurred_at \(occurred) is before 2000")
        }
        guard case .customerUpserted(let customer) = event.payload else { return }
        let today = CalendarDate(now)
        if customer.hasDateOfBirth, !customer.dateOfBirth.isEmpty {
            if let birth = CalendarDate(customer.dateOfBirth) {
                if birth > today { record(.impossibleDate, number, event.eventID, "date_of_birth \(birth) is in the future") }
                else if birth.wholeYears(until: today) > 120 { record(.impossibleDate, number, event.eventID, "date_of_birth \(birth) is more than 120 years ago") }
            } else {
                record(.impossibleDate, number, event.eventID, "date_of_birth \"\(customer.dateOfBirth)\" is not a date")
            }
        }
        if customer.hasSignupDate, !customer.signupDate.isEmpty {
            if let signup = CalendarDate(customer.signupDate) {
                if signup > today { record(.impossibleDate, number, event.eventID, "signup_date \(signup) is in the future") }
            } else {
                record(.impossibleDate, number, event.eventID, "signup_date \"\(customer.signupDate)\" is not a date")
            }
        }
    }

    /// Validator failures the specific rules already report (negative amounts, bad dates, bad emails).
    private static func coveredByRules(_ error: C360Error) -> Bool {
        guard let field = error.field else { return false }
        return field.hasSuffix("minor_units") || field.hasSuffix("email") || field.hasSuffix("date_of_birth")
            || field.hasSuffix("signup_date") || field == "occurred_at" || (field == "customer_id" && error.message.contains("at least one identity"))
    }

    private mutating func record(_ rule: Rule, _ line: UInt64, _ eventID: String, _ detail: String) {
        guard let index = report.findings.firstIndex(where: { $0.rule == rule }) else { return }
        report.findings[index].count += 1
        if report.findings[index].examples.count < examplesKept {
            report.findings[index].examples.append(Example(line: line, eventID: eventID, detail: detail))
        }
    }
}
