import C360Model

extension ProjectionFold {
    /// A session is counted when an event arrives with a session id other than the previous
    /// event's: web events of one session arrive together, so this counts sessions without
    /// keeping every session id.
    func applyWeb(_ web: FoldableEvent.Web, at occurredAt: Instant, to projection: inout Projection) {
        // Read and changed in place (`_web`, `&projection.web`): a copy of the web state out of the
        // projection and back was a retain and release of each of its parts on every web event.
        let newSession = Self.startsSession(web, after: projection._web?.lastSessionID ?? "")
        updateDay(of: occurredAt, in: &projection.days) { day in
            Self.count(web, newSession: newSession, in: &day)
        }
        record(web, newSession: newSession, atMicros: occurredAt.microsecondsSinceEpoch, in: &projection.web)
    }

    /// Whether `web` starts a session, after an event of session `lastSessionID`.
    public static func startsSession(_ web: FoldableEvent.Web, after lastSessionID: String) -> Bool {
        !web.sessionID.isEmpty && web.sessionID != lastSessionID
    }

    /// What `web` adds to the bucket of its day.
    public static func count(_ web: FoldableEvent.Web, newSession: Bool, in day: inout Projection.DayBucket) {
        day.webEvents += 1
        if newSession { day.sessions += 1 }
        if web.type == .pageView { day.pageViews += 1 }
        if web.type == .productView { day.productViews += 1 }
    }

    /// What `web` changes in the customer's web state (the day buckets aside).
    public func record(_ web: FoldableEvent.Web, newSession: Bool, atMicros micros: Int64, in state: inout Projection.Web) {
        state.events += 1
        state.lastVisitAtUs = max(state.lastVisitAtUs, micros)
        if newSession {
            state.sessions += 1
            state.lastSessionID = web.sessionID
        }
        if !web.device.isEmpty, web.device.utf8.count <= 7, Self.appDevices.contains(web.device.lowercased()) { state.appEvents += 1 }
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

    /// Devices that count as app use for the app-adoption opportunity.
    static let appDevices: Set<String> = ["app", "mobile", "ios", "android"]

    private func recordError(page: String, message: String, atMicros micros: Int64, in errors: inout [Projection.ErrorTally]) {
        var tally: Projection.ErrorTally
        if let index = errors.firstIndex(where: { $0.page == page && $0.message == message }) {
            tally = errors.remove(at: index)
        } else {
            tally = Projection.ErrorTally()
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
