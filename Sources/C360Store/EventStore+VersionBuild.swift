import C360Codec
public import C360Core
import Foundation
import RocksDB
import Synchronization
import CoreMetrics

/// What a build of the configured fold's projections did, while the old ones served.
public struct ProjectionVersionBuild: Sendable {
    /// The fold that built the projections served before (`ProjectionFold.fingerprint`).
    public var fromFold: String
    /// The fold of the projections served after.
    public var toFold: String
    /// Events folded from the log as it was when the build began.
    public var events: UInt64 = 0
    public var projections: UInt64 = 0
    /// Rounds that folded again, from the log, the subjects appends changed during the build.
    public var catchUpRounds = 0
    public var subjectsRefolded = 0
    /// How long appends waited: for the last round, the switch and the segments' re-evaluation.
    public var switchSeconds: Double = 0
    public var seconds: Double = 0
}

/// Whether a build is due, running or cancelled (`EventStore.versionBuild`).
struct VersionBuildState: Sendable {
    /// The fold that built the current projections.
    var builtBy: String
    var running = false
    /// Set by a replay, which made the build pointless: it stops and clears what it wrote.
    var cancelled = false
    /// Set by `close`: no build starts or goes on.
    var closed = false
}

extension EventStore {
    /// Whether the projections served were built by another fold than the configured one (another
    /// fold version, or other fold settings), so that `buildProjectionVersion` has work to do.
    public var projectionVersionBuildDue: Bool {
        versionBuild.withLock { $0.builtBy != configuration.fold.fingerprint }
    }

    /// Builds the configured fold's projections from the log into the keyspace not being served,
    /// while the current projections keep serving and keep being updated by appends, then makes
    /// them current in one switch. Returns `nil` when there was nothing to build.
    ///
    /// 1. Every subject's events, as the log holds them when the build begins, are folded on
    ///    `threads` threads (default: half the cores, so that serving keeps the rest).
    /// 2. Meanwhile the projection store records every subject whose projection a commit changed;
    ///    rounds fold those again from their whole history (which makes a round correct however
    ///    it interleaves with commits: a subject changed during a round is in the next one).
    /// 3. When a round is small, the last one runs on the writer, so nothing commits meanwhile,
    ///    and one synced write of the metadata makes the built keyspace current; segment
    ///    membership is re-evaluated against it, and the old keyspace is cleared.
    ///
    /// A crash before the switch leaves the old projections current: the next open clears the
    /// unfinished build, and a server starts it again. Erasures during the build remove the
    /// customer from both keyspaces, and the build never writes an erased customer back.
    /// - Throws: `.unavailable` when the store closed or a replay rebuilt the projections meanwhile
    ///   (the current projections keep serving); storage errors.
    public func buildProjectionVersion(threads: Int? = nil, progress: (@Sendable (UInt64) -> Void)? = nil) async throws(C360Error) -> ProjectionVersionBuild? {
        let result: Result<ProjectionVersionBuild?, C360Error> = await withCheckedContinuation { continuation in
            versionBuilds.async {
                continuation.resume(returning: Result { () throws(C360Error) in
                    try self.buildProjectionVersionNow(threads: threads, progress: progress)
                })
            }
        }
        return try result.get()
    }

    /// Stops a build under way, and any later one, for good: the store or the server is closing.
    /// The current projections stay current; the next open clears what the build wrote.
    public func cancelVersionBuild() {
        versionBuild.withLock {
            $0.closed = true
            $0.cancelled = true
        }
    }

    /// After a replay rebuilt the current projections with the configured fold: nothing is left to build.
    func versionRebuiltByReplay() {
        versionBuild.withLock { state in
            if state.running { state.cancelled = true }
            state.builtBy = configuration.fold.fingerprint
        }
    }

    /// Clears the keyspace not being served: left by a build that did not finish, or from before a switch.
    func clearOtherKeyspace() throws(C360Error) {
        let other = projections.otherFamily
        let iterator = database.makeIterator(other)
        iterator.seekToFirst()
        guard iterator.isValid else { return }
        try projections.clear(other)
    }

    /// On `versionBuilds`.
    private func buildProjectionVersionNow(threads: Int?, progress: (@Sendable (UInt64) -> Void)?) throws(C360Error) -> ProjectionVersionBuild? {
        let fold = configuration.fold.fingerprint
        let from: String? = versionBuild.withLock { state in
            guard state.builtBy != fold, !state.running, !state.closed else { return nil }
            state.running = true
            state.cancelled = false
            return state.builtBy
        }
        guard let from else { return nil }
        defer {
            versionBuild.withLock { $0.running = false }
            ProjectionMetrics.buildEvents.record(0)
        }
        let started = ContinuousClock.now
        var build = ProjectionVersionBuild(fromFold: from, toFold: fold)
        let target = projections.beginBuild()
        let isErased = { (subject: UInt64) throws(C360Error) -> Bool in try self.isErased(subject: subject) }
        do {
            let membership = try physicalErasures.reading { try membershipFromLog() }
            let nextSubject = try read(StoreKeys.Meta.nextSubject, in: families.meta).flatMap { StoreKeys.uint64($0) } ?? 1
            let workers = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
            let ranges = Self.replayRanges(nextSubject: nextSubject)
            // A few ranges per thread at a time, so that an erasure waits for little (`PhysicalErasures.reading`).
            for start in stride(from: 0, to: ranges.count, by: workers * 4) {
                try checkBuildGoesOn()
                let wave = Array(ranges[start..<min(ranges.count, start + workers * 4)])
                try physicalErasures.reading {
                    try foldRanges(wave, threads: workers, membership: membership) { folded in
                        try projections.writeBuilt(folded.projections.map { ($0.subject, $0.bytes) }, unlessErased: isErased)
                        build.events += folded.events
                        build.projections += UInt64(folded.projections.count)
                    }
                }
                ProjectionMetrics.buildEvents.record(Int64(clamping: build.events))
                progress?(build.events)
            }
            // Catch up with the appends made meanwhile, until what is left is small.
            while true {
                try checkBuildGoesOn()
                let touched = projections.takeTouched()
                build.catchUpRounds += 1
                build.subjectsRefolded += try refoldBuilt(touched, unlessErased: isErased)
                if touched.count <= 1_000 || build.catchUpRounds >= 50 { break }
            }
            let switched: Result<(ColumnFamily, Double), C360Error> = writer.sync {
                Result { () throws(C360Error) -> (ColumnFamily, Double) in
                    let paused = ContinuousClock.now
                    try self.checkBuildGoesOn()
                    build.catchUpRounds += 1
                    build.subjectsRefolded += try self.refoldBuilt(self.projections.takeTouched(), unlessErased: isErased)
                    let old = try self.projections.switchToBuilt(through: self.writer.state.lastSeq, fold: fold, version: ProjectionFold.version)
                    self.versionBuild.withLock { $0.builtBy = fold }
                    self.writer.rebuilt(by: self.configuration.fold)
                    ProjectionMetrics.buildsSwitched.increment()
                    // Membership follows the new projections, as of the same day as before.
                    _ = try self.refreshSegmentsOnWriter(day: self.writer.state.segmentDay)
                    return (old, Self.seconds(since: paused))
                }
            }
            let (old, paused) = try switched.get()
            build.switchSeconds = paused
            try projections.clear(old)
        } catch {
            projections.endBuild()
            // The build's keyspace is not current unless the switch was written.
            if servedFold != fold { try? projections.clear(target) }
            throw C360Error(error, doing: "build the projections of the configured fold")
        }
        build.seconds = Self.seconds(since: started)
        return build
    }

    /// The fold that built the projections served (`ProjectionFold.fingerprint`).
    public var servedFold: String { versionBuild.withLock { $0.builtBy } }

    private func checkBuildGoesOn() throws(C360Error) {
        if versionBuild.withLock({ $0.cancelled }) {
            throw C360Error(.unavailable, "the build stopped: the store is closing, or a replay rebuilt the projections")
        }
    }

    /// Folds `subjects` again from their whole histories into the build's keyspace: a subject
    /// merged into a customer loses its own projection and its customer is folded instead.
    /// Returns the projections folded.
    private func refoldBuilt(_ subjects: Set<UInt64>, unlessErased isErased: (UInt64) throws(C360Error) -> Bool) throws(C360Error) -> Int {
        var entries: [(subject: UInt64, bytes: [UInt8]?)] = []
        var folded: Set<UInt64> = []
        for subject in subjects.sorted() {
            let target = try projectionSubject(of: subject)
            if target != subject { entries.append((subject, nil)) }
            guard folded.insert(target).inserted else { continue }
            let projection = try physicalErasures.reading { () throws(C360Error) in
                try refold(subjects: [target] + storedMembers(of: target), by: configuration.fold)
            }
            entries.append((target, projection.seq == 0 ? nil : ProjectionWireCodec.encode(projection)))
            if entries.count >= 1_000 {
                try projections.writeBuilt(entries, unlessErased: isErased)
                entries.removeAll(keepingCapacity: true)
            }
        }
        try projections.writeBuilt(entries, unlessErased: isErased)
        return folded.count
    }
}
