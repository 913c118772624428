public import C360Model

extension ProjectionFold {
    public func applyEmail(_ type: C360_V1_EmailEventType, at occurredAt: Instant, to state: inout Projection.Email) {
        let micros = occurredAt.microsecondsSinceEpoch
        switch type {
        case .sent:
            state.sent += 1
            state.lastSentAtUs = max(state.lastSentAtUs, micros)
        case .delivered:
            state.delivered += 1
        case .opened:
            state.opened += 1
            state.lastOpenedAtUs = max(state.lastOpenedAtUs, micros)
        case .clicked:
            state.clicked += 1
            state.lastClickedAtUs = max(state.lastClickedAtUs, micros)
        case .bounced:
            state.bounced += 1
        case .unsubscribed:
            state.unsubscribed = true
        case .unspecified, .UNRECOGNIZED:
            break
        }
    }
}
