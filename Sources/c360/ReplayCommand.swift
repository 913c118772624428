import ArgumentParser
import Foundation
import C360Model
import C360Store

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from the log and prove it equals what was served.",
        discussion: """
            Prints events per second and the digest of all projections before and after. Exits with
            status 1 if any rebuilt projection differs from the one it replaced (the rebuilt one, from
            the log, is kept). Example: c360 replay --from-snapshot
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Flag(help: "Start from the newest snapshot and fold only the events after it.") var fromSnapshot = false
    @Option(help: "Threads folding a full replay (default: one per core), to measure how it scales.") var threads: Int?

    func run() async throws {
        let store = try dataDirectory.openStore()
        defer { store.closeLettingCompactionsFinish(after: "replay") }
        // Events to fold: all of them, or those after the snapshot (log positions include
        // tombstones, so this is an estimate, never below what remains). Not `statistics()`: it
        // decodes every projection to count customers, a quarter of `c360 replay`'s time.
        let snapshotSeq = fromSnapshot ? try store.snapshotInfo()?.seq : nil
        let total = try snapshotSeq.map { max(1, Int(store.lastSeq) - Int($0)) } ?? max(1, Int(store.eventCount()))
        let progress = ProgressReporter(label: "replay")
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        let report = try await store.replay(fromSnapshot: fromSnapshot, threads: threads) { folded in
            progress.update(
                fraction: min(1, Double(folded) / Double(total)),
                "\(folded) of \(total) events folded, \(Int(Double(folded) / max(1e-3, progress.elapsedSeconds))) events/s")
        }
        progress.finish()
        if let seq = report.snapshotSeq {
            print("replayed from snapshot at seq \(seq): \(report.projectionsFromSnapshot) projections loaded, \(report.eventsFolded) events after it folded")
        } else {
            print("replayed \(report.eventsFolded) events from the start")
        }
        print("\(report.projectionsRebuilt) projections in \(String(format: "%.2f", report.seconds)) s, \(Int(report.eventsPerSecond)) events/s")
        print("live digest:    \(report.liveDigest)")
        print("rebuilt digest: \(report.rebuiltDigest)")
        guard report.matchesLive else {
            StandardError.write("replay: MISMATCH — \(report.projectionsChanged) projections differed from the log's fold and \(report.projectionsRemoved) had no events; the rebuilt projections are now stored")
            throw ExitCode(1)
        }
        print("rebuilt projections equal the live ones")
    }
}
