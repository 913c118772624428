import C360Model

extension ProjectionFold {
    /// A session is counted when an event arrives with a session id other than the previous
    /// event's: web events of one session arrive together, so this counts sessions without
    /// keeping every session id.
    func applyWeb(_ web: C360_V1_WebEvent, at occurredAt: Instant, to state: inout C360_Store_V1_Web) {
        let micros = occurredAt.microsecondsSinceEpoch
        state.events += 1
        state.lastVisitAtUs = max(state.lastVisitAtUs, micros)
        if !web.sessionID.isEmpty, web.sessionID != state.lastSessionID {
            state.sessions += 1
            state.lastSessionID = web.sessionID
        }
        switch web.type {
        case .pageView:
            state.pageViews += 1
        case .productView:
            state.productViews += 1
        case .loginSuccess:
            state.lastLoginAtUs = max(state.lastLoginAtUs, micros)
        case .loginFailure:
            state.loginFailures += 1
        case .error:
            recordError(page: web.page, message: web.errorMessage, atMicros: micros, in: &state.recentErrors)
        case .search, .addToCart, .unspecified, .UNRECOGNIZED:
            break
        }
    }

    private func recordError(page: String, message: String, atMicros micros: Int64, in errors: inout [C360_Store_V1_ErrorTally]) {
        var tally: C360_Store_V1_ErrorTally
        if let index = errors.firstIndex(where: { $0.page == page && $0.message == message }) {
            tally = errors.remove(at: index)
        } else {
            tally = C360_Store_V1_ErrorTally()
            tally.page = page
            tally.message = message
        }
        tally.count += 1
        tally.lastAtUs = max(tally.lastAtUs, micros)
        // Newest first; among equal times, the most recently reported first.
        let position = errors.firstIndex { $0.lastAtUs <= tally.lastAtUs } ?? errors.endIndex
        errors.insert(tally, at: position)
        if errors.count > recentErrorsKept {
            errors.removeLast(errors.count - recentErrorsKept)
        }
    }
}
