/// What a replay did and found.
public struct ReplayReport: Sendable {
    /// The snapshot's log position the replay started from; `nil` when it replayed from the start.
    public var snapshotSeq: UInt64?
    /// Events folded (for a snapshot replay, only the tail after the snapshot).
    public var eventsFolded: UInt64 = 0
    /// Projections loaded from the snapshot.
    public var projectionsFromSnapshot: UInt64 = 0
    /// Projections the replay produced.
    public var projectionsRebuilt: UInt64 = 0
    /// Rebuilt projections that differed from the stored ones (0 unless the fold's version changed,
    /// or the stored projections were wrong).
    public var projectionsChanged: UInt64 = 0
    /// Stored projections with no events behind them, removed.
    public var projectionsRemoved: UInt64 = 0
    /// Segment memberships that differed from the rebuilt projections' (0 when membership was current).
    public var segmentMembershipChanges: UInt64 = 0
    /// The digest of the projections as they were before the replay.
    public var liveDigest = ProjectionDigest(hex: "", count: 0)
    /// The digest of the rebuilt projections, now stored.
    public var rebuiltDigest = ProjectionDigest(hex: "", count: 0)
    /// Wall-clock duration.
    public var seconds: Double = 0

    /// Whether the rebuilt projections are exactly the ones that were served.
    public var matchesLive: Bool { liveDigest == rebuiltDigest && projectionsChanged == 0 && projectionsRemoved == 0 }

    /// Events folded per second.
    public var eventsPerSecond: Double { seconds > 0 ? Double(eventsFolded) / seconds : 0 }
}
