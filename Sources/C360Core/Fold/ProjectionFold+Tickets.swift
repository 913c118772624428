import C360Model

extension ProjectionFold {
    /// Every ticket is kept by id with its latest event (by occurred_at, then log position): a
    /// ticket is open unless that event resolved it, whatever order its events arrive in, and a
    /// ticket reported many times is one ticket. Escalations and reopenings count as events.
    func applyTicket(_ ticket: FoldableEvent.Ticket, at occurredAt: Instant, seq: UInt64, to state: inout Projection.Support) {
        let micros = occurredAt.microsecondsSinceEpoch
        state.lastTicketAtUs = max(state.lastTicketAtUs, micros)
        switch ticket.type {
        case .escalated: state.escalations += 1
        case .reopened: state.reopened += 1
        case .opened, .resolved, .unspecified, .UNRECOGNIZED: break
        }
        if ticket.satisfactionScore > 0 {
            state.satisfactionSum += Int64(ticket.satisfactionScore)
            state.satisfactionCount += 1
        }
        if case .unspecified = ticket.type { return }
        if case .UNRECOGNIZED = ticket.type { return }

        let position = Self.ticketPosition(of: ticket.ticketID, in: state.tickets)
        if !position.found {
            var entry = Projection.TicketState()
            entry.ticketID = ticket.ticketID
            state.tickets.insert(entry, at: position.index)
            state.total += 1
        }
        let entry = state.tickets[position.index]
        guard entry.latestSeq == 0 || (micros, seq) > (entry.latestAtUs, entry.latestSeq) else { return }
        state.tickets[position.index].latestAtUs = micros
        state.tickets[position.index].latestSeq = seq
        state.tickets[position.index].open = ticket.type != .resolved
    }

    private static func ticketPosition(of ticketID: String, in tickets: [Projection.TicketState]) -> (index: Int, found: Bool) {
        sortedPosition(of: ticketID, in: tickets, by: \.ticketID)
    }
}
