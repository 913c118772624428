import C360Model

extension ProjectionFold {
    /// Open tickets are kept by id, so a resolution or reopening of a known ticket moves it in or
    /// out of the open set exactly once however often it is reported.
    func applyTicket(_ ticket: C360_V1_TicketEvent, at occurredAt: Instant, to state: inout C360_Store_V1_Support) {
        state.lastTicketAtUs = max(state.lastTicketAtUs, occurredAt.microsecondsSinceEpoch)
        switch ticket.type {
        case .opened:
            state.total += 1
            Self.insertSorted(ticket.ticketID, into: &state.openTicketIds)
        case .escalated:
            state.escalations += 1
            Self.insertSorted(ticket.ticketID, into: &state.openTicketIds)
        case .reopened:
            state.reopened += 1
            Self.insertSorted(ticket.ticketID, into: &state.openTicketIds)
        case .resolved:
            state.openTicketIds.removeAll { $0 == ticket.ticketID }
        case .unspecified, .UNRECOGNIZED:
            break
        }
        if ticket.satisfactionScore > 0 {
            state.satisfactionSum += Int64(ticket.satisfactionScore)
            state.satisfactionCount += 1
        }
    }

    static func insertSorted(_ value: String, into values: inout [String]) {
        let position = values.firstIndex { $0 >= value } ?? values.endIndex
        if position < values.endIndex, values[position] == value { return }
        values.insert(value, at: position)
    }
}
