import C360Core
import C360Model
import Testing

@Suite struct ActivityTests {
    typealias F = EventFactory

    @Test("web events count views and sessions, and keep the last login and visit")
    func web() {
        let projection = F.fold([
            F.event("e1", days: 1, F.web(.pageView, session: "s1")),
            F.event("e2", days: 1.01, F.web(.productView, session: "s1", product: "sku_1")),
            F.event("e3", days: 2, F.web(.loginSuccess, session: "s2")),
            F.event("e4", days: 1.5, F.web(.loginFailure, session: "s3")),
        ])
        #expect(projection.web.events == 4)
        #expect(projection.web.pageViews == 1)
        #expect(projection.web.productViews == 1)
        #expect(projection.web.sessions == 3)
        #expect(projection.web.loginFailures == 1)
        #expect(projection.web.lastLoginAtUs == Instant(F.time(days: 2)).microsecondsSinceEpoch)
        #expect(projection.web.lastVisitAtUs == Instant(F.time(days: 2)).microsecondsSinceEpoch)
    }

    @Test("recent errors are grouped by page and message, newest first, and bounded")
    func recentErrors() {
        var fold = ProjectionFold()
        fold.recentErrorsKept = 2
        let projection = F.fold([
            F.event("e1", days: 1, F.web(.error, page: "/checkout", error: "declined")),
            F.event("e2", days: 2, F.web(.error, page: "/basket", error: "out of stock")),
            F.event("e3", days: 3, F.web(.error, page: "/checkout", error: "declined")),
            F.event("e4", days: 0.5, F.web(.error, page: "/account", error: "expired")),
        ], fold: fold)
        #expect(projection.web.recentErrors.map(\.page) == ["/checkout", "/basket"])
        #expect(projection.web.recentErrors.map(\.count) == [2, 1])
    }

    @Test("email events count and keep the last sent, opened and clicked")
    func email() {
        let projection = F.fold([
            F.event("e1", days: 1, F.email(.sent)),
            F.event("e2", days: 2, F.email(.opened)),
            F.event("e3", days: 3, F.email(.clicked)),
            F.event("e4", days: 4, F.email(.unsubscribed)),
        ])
        #expect(projection.email.sent == 1)
        #expect(projection.email.opened == 1)
        #expect(projection.email.clicked == 1)
        #expect(projection.email.unsubscribed)
        #expect(projection.email.lastClickedAtUs == Instant(F.time(days: 3)).microsecondsSinceEpoch)
    }

    @Test("tickets: opened, resolved, reopened and rated")
    func tickets() {
        let projection = F.fold([
            F.event("e1", days: 1, F.ticket("t1", .opened)),
            F.event("e2", days: 2, F.ticket("t2", .opened)),
            F.event("e3", days: 3, F.ticket("t1", .resolved, satisfaction: 4)),
            F.event("e4", days: 4, F.ticket("t2", .resolved, satisfaction: 2)),
            F.event("e5", days: 5, F.ticket("t2", .reopened)),
            F.event("e6", days: 6, F.ticket("t1", .resolved)),
        ])
        #expect(projection.support.total == 2)
        #expect(projection.support.tickets.filter(\.open).map(\.ticketID) == ["t2"])
        #expect(projection.support.satisfactionSum == 6)
        #expect(projection.support.satisfactionCount == 2)
        #expect(projection.support.lastTicketAtUs == Instant(F.time(days: 6)).microsecondsSinceEpoch)
    }

    @Test("a ticket is open or not by its latest event, however its events arrive")
    func ticketStateByTime() {
        let opened = F.event("e1", days: 1, F.ticket("t1", .opened))
        let escalated = F.event("e2", days: 2, F.ticket("t1", .escalated))
        let resolved = F.event("e3", days: 3, F.ticket("t1", .resolved, satisfaction: 5))
        for arrival in [[opened, escalated, resolved], [resolved, opened, escalated], [escalated, resolved, opened]] {
            let support = F.fold(arrival).support
            #expect(support.tickets.map(\.open) == [false])
            #expect(support.total == 1)
            #expect(support.escalations == 1)
        }
        let reopened = F.event("e4", days: 4, F.ticket("t1", .reopened))
        #expect(F.fold([reopened, resolved, opened]).support.tickets.map(\.open) == [true])
    }

    @Test("a ticket seen only through a later event still counts as one ticket")
    func ticketWithoutOpening() {
        let support = F.fold([
            F.event("e1", days: 1, F.ticket("t1", .escalated)),
            F.event("e2", days: 2, F.ticket("t1", .escalated)),
        ]).support
        #expect(support.total == 1)
        #expect(support.escalations == 2, "escalations count events")
        #expect(support.tickets.map(\.open) == [true])
    }

    @Test("an upsert changes only the fields it carries")
    func customerUpsert() {
        var first = C360_V1_CustomerUpserted()
        first.firstName = "Zoë"
        first.email = "Zoe@Example.com"
        var second = C360_V1_CustomerUpserted()
        second.loyaltyTier = .gold
        let projection = F.fold([F.event("e1", .customerUpserted(first)), F.event("e2", .customerUpserted(second))])
        #expect(projection.details.firstName == "Zoë")
        #expect(projection.details.email == "Zoe@Example.com")
        #expect(projection.details.loyaltyTier == .gold)
    }

    @Test("identities change only as resolved: linked with lineage, re-stamped by a merge, removed by an unlink or unmerge, refusals kept as conflicts")
    func identityResolutions() {
        let cookie = C360_V1_Identity(type: .cookieID, value: "ck_1")
        let device = C360_V1_Identity(type: .deviceID, value: "dv_1")
        let email = C360_V1_Identity(type: .email, value: "a@example.com")
        var linked = C360_Store_V1_Resolution()
        linked.linked = [email]
        var merged = C360_Store_V1_Resolution()
        var history = C360_Store_V1_MergedHistory()
        history.subject = 1 << 63 | 7
        history.identities = [cookie, device]
        merged.merged = [history]
        var refused = C360_Store_V1_Resolution()
        var refusal = C360_Store_V1_Refusal()
        refusal.identity = .init(type: .email, value: "b@example.com")
        refusal.reason = .ownedByAnotherCustomer
        refused.refused = [refusal]
        var unmerged = C360_Store_V1_Resolution()
        unmerged.unmerged = [history]

        var link = C360_V1_IdentityLinked()
        link.identity = cookie
        let entries: [(C360_V1_Event, C360_Store_V1_Resolution?)] = [
            (F.event("e1", days: 1, F.email(.sent)), linked),
            (F.event("e2", days: 2, .identityLinked(link)), merged),
            (F.event("e3", days: 3, F.email(.sent)), refused),
        ]
        let projection = F.fold(entries)
        #expect(projection.identities.map(\.identity) == [email, cookie, device])
        #expect(projection.identities.map(\.linkedByEventID) == ["e1", "e2", "e2"])
        #expect(projection.identities.map(\.linkedSeq) == [1, 2, 2])
        #expect(projection.identities.map(\.mergedFromAnonymous) == [false, true, true])
        #expect(projection.identities[0].linkedAtUs == Instant(F.time(days: 1)).microsecondsSinceEpoch)
        #expect(projection.identityConflicts.count == 1)
        #expect(projection.identityConflicts.first?.identity.value == "b@example.com")
        #expect(projection.identityConflicts.first?.eventID == "e3")
        #expect(projection.identityConflicts.first?.reason == .ownedByAnotherCustomer)

        var unlink = C360_V1_IdentityUnlinked()
        unlink.identity = cookie
        let undone = F.fold(entries + [(F.event("e4", days: 4, .identityUnlinked(unlink)), unmerged)])
        #expect(undone.identities.map(\.identity) == [email])
        let carriedOnly = F.fold([F.event("e1", .identityLinked(link))])
        #expect(carriedOnly.identities.isEmpty, "an event without a resolution links nothing")
    }

    @Test("the fold records the log position and the event count")
    func bookkeeping() {
        let projection = F.fold([F.event("e1", F.email(.sent)), F.event("e2", F.email(.sent))])
        #expect(projection.seq == 2)
        #expect(projection.eventCount == 2)
        #expect(projection.version == ProjectionFold.version)
        #expect(projection.customerID == "cust_1")
    }

    @Test("a fold's fingerprint names its version and settings, and reads back into the same fold; another version's or a malformed one does not", arguments: [
        (90, 10, 20), (5, 0, 0), (3_660, 1_000, 1_000),
    ])
    func fingerprint(days: Int, errors: Int, conflicts: Int) {
        var fold = ProjectionFold()
        fold.dayBucketsKept = days
        fold.recentErrorsKept = errors
        fold.identityConflictsKept = conflicts
        let read = ProjectionFold(fingerprint: fold.fingerprint)
        #expect(read?.fingerprint == fold.fingerprint)
        #expect(read?.dayBucketsKept == days)
        #expect(fold.fingerprint != ProjectionFold().fingerprint || (days, errors, conflicts) == (90, 10, 20))
        for other in [
            "v\(ProjectionFold.version + 1) errors=\(errors) days=\(days) conflicts=\(conflicts)",
            "v\(ProjectionFold.version) errors=\(errors) days=\(days)",
            "v\(ProjectionFold.version) errors=\(errors) days=-\(days) conflicts=\(conflicts)",
            "v\(ProjectionFold.version) errors=\(errors) days=\(days) conflicts=\(conflicts) extra=1", "", "v3",
        ] {
            #expect(ProjectionFold(fingerprint: other) == nil, "\(other)")
        }
    }
}
