package import C360Model

/// The `EventKind` of an event, for timeline filters.
package enum EventKindOf {
    package static func kind(of event: C360_V1_Event) -> C360_V1_EventKind {
        switch event.payload {
        case .customerUpserted: .customerUpserted
        case .orderPlaced: .orderPlaced
        case .orderStatusChanged: .orderStatusChanged
        case .webEvent: .webEvent
        case .emailEvent: .emailEvent
        case .ticketEvent: .ticketEvent
        case .identityLinked: .identityLinked
        case .identityUnlinked: .identityUnlinked
        case nil: .unspecified
        }
    }
}
