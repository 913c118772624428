import C360Model

/// Folds events, one at a time and in log order, into a customer's projection.
///
/// The fold is pure and deterministic: the same events in the same order always give the same
/// projection, byte for byte once serialized, which is what lets replay prove itself against
/// the live projections. Each payload kind is folded in its own file (`ProjectionFold+Orders.swift`, ...).
///
/// ```swift
/// var projection = ProjectionFold.emptyProjection(customerID: "cust_1")
/// ProjectionFold().apply(event, seq: 42, to: &projection)
/// ```
public struct ProjectionFold: Sendable {
    /// Bumped whenever the fold's output for the same events changes; stored projections of an
    /// older version are rebuilt from the log rather than served.
    public static let version: UInt32 = 1

    /// Most recent orders kept in the projection, so that a status change can find its order.
    /// A status change for an older order still counts, but cannot take a cancelled total out of spend.
    public var recentOrdersKept = 100
    /// Distinct recent web errors (page and message) kept, newest first.
    public var recentErrorsKept = 10

    public init() {}

    /// A projection with no events folded in.
    public static func emptyProjection(customerID: String) -> C360_Store_V1_Projection {
        var projection = C360_Store_V1_Projection()
        projection.version = version
        projection.customerID = customerID
        return projection
    }

    /// Folds `event`, appended at log position `seq`, into `projection`.
    public func apply(_ event: C360_V1_Event, seq: UInt64, to projection: inout C360_Store_V1_Projection) {
        projection.version = ProjectionFold.version
        projection.seq = seq
        projection.eventCount += 1
        if projection.customerID.isEmpty, !event.customerID.isEmpty {
            projection.customerID = event.customerID
        }
        for identity in event.identities {
            Self.insert(IdentityKey.normalized(identity), into: &projection.identities)
        }
        let occurredAt = Instant(event.occurredAt)
        switch event.payload {
        case .customerUpserted(let customer):
            applyCustomer(customer, to: &projection)
        case .orderPlaced(let order):
            applyOrder(order, at: occurredAt, to: &projection.orders)
        case .orderStatusChanged(let change):
            applyStatusChange(change, to: &projection.orders)
        case .webEvent(let web):
            applyWeb(web, at: occurredAt, to: &projection.web)
        case .emailEvent(let email):
            applyEmail(email, at: occurredAt, to: &projection.email)
        case .ticketEvent(let ticket):
            applyTicket(ticket, at: occurredAt, to: &projection.support)
        case .identityLinked(let link):
            Self.insert(IdentityKey.normalized(link.identity), into: &projection.identities)
        case .identityUnlinked(let unlink):
            let identity = IdentityKey.normalized(unlink.identity)
            projection.identities.removeAll { $0 == identity }
        case nil:
            break
        }
    }

    static func insert(_ identity: C360_V1_Identity, into identities: inout [C360_V1_Identity]) {
        let position = identities.firstIndex { IdentityKey.precedes(identity, $0) || $0 == identity } ?? identities.endIndex
        if position < identities.endIndex, identities[position] == identity { return }
        identities.insert(identity, at: position)
    }
}
