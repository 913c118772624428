import C360Model

extension ProjectionFold {
    /// The identity list changes only as identity resolution decided at append time, never from
    /// what an event merely carries: an identity owned by another customer must not appear here.
    func applyResolution(_ resolution: C360_Store_V1_Resolution, ofEvent eventID: String, seq: UInt64, at occurredAt: Instant, to projection: inout Projection) {
        func lineage(_ identity: C360_V1_Identity, merged: Bool) -> Projection.LinkedIdentity {
            var linked = Projection.LinkedIdentity()
            linked.identity = identity
            linked.linkedByEventID = eventID
            linked.linkedSeq = seq
            linked.linkedAtUs = occurredAt.microsecondsSinceEpoch
            linked.mergedFromAnonymous = merged
            return linked
        }
        for identity in resolution.unlinked {
            projection.identities.removeAll { $0.identity == identity }
        }
        for history in resolution.unmerged {
            for identity in history.identities {
                projection.identities.removeAll { $0.identity == identity }
            }
        }
        for identity in resolution.linked {
            Self.insert(lineage(identity, merged: false), into: &projection.identities, replacing: false)
        }
        for history in resolution.merged {
            for identity in history.identities {
                Self.insert(lineage(identity, merged: true), into: &projection.identities, replacing: true)
            }
        }
        for refusal in resolution.refused {
            var conflict = Projection.IdentityConflict()
            conflict.identity = refusal.identity
            conflict.eventID = eventID
            conflict.seq = seq
            conflict.atUs = occurredAt.microsecondsSinceEpoch
            conflict.reason = refusal.reason
            projection.identityConflicts.append(conflict)
        }
        if projection.identityConflicts.count > identityConflictsKept {
            projection.identityConflicts.removeFirst(projection.identityConflicts.count - identityConflictsKept)
        }
    }

    /// Keeps `identities` sorted by type, then value. A merge re-stamps an identity the anonymous
    /// history already brought in, so its lineage names the event that tied it to the customer.
    static func insert(_ linked: Projection.LinkedIdentity, into identities: inout [Projection.LinkedIdentity], replacing: Bool) {
        let identity = linked.identity
        let position = identities.firstIndex { IdentityKey.precedes(identity, $0.identity) || $0.identity == identity } ?? identities.endIndex
        if position < identities.endIndex, identities[position].identity == identity {
            if replacing { identities[position] = linked }
            return
        }
        identities.insert(linked, at: position)
    }
}
