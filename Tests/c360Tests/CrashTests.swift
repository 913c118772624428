import C360Core
import C360Model
import C360Store
import Foundation
import Synchronization
import Testing

@Suite struct CrashTests {
    /// Starts `c360 ingest`, waits until it reports committed lines, kills it with SIGKILL at a
    /// random moment after that, and returns the last number of lines it reported committed.
    private func ingestAndKill(file: String, data: String, config: String?, extraMilliseconds: Int) throws -> Int {
        let process = Process()
        process.executableURL = C360Process.executable
        process.arguments = ["ingest", file, "--data", data, "--batch-size", "500"] + (config.map { ["--config", $0] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let committed = Mutex<Int>(0)
        let reader = Thread {
            var pending = ""
            while true {
                let data = errors.fileHandleForReading.availableData
                if data.isEmpty { return }
                pending += String(decoding: data, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = pending[..<newline]
                    pending = String(pending[pending.index(after: newline)...])
                    // "ingest: FILE: N lines committed (...)"
                    if let range = line.range(of: " lines committed") {
                        let prefix = line[..<range.lowerBound]
                        if let number = Int(prefix.split(separator: " ").last ?? "") {
                            committed.withLock { $0 = max($0, number) }
                        }
                    }
                }
            }
        }
        reader.start()
        let deadline = Date().addingTimeInterval(60)
        while committed.withLock({ $0 }) == 0, process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        Thread.sleep(forTimeInterval: Double(extraMilliseconds) / 1_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return committed.withLock { $0 }
    }

    @Test("SIGKILL in the middle of an ingest loses no acknowledged event, splits no batch, and leaves projections equal to their replay, with the projections written behind rarely or many times a second")
    func killDuringIngest() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/events.ndjson"
            let data = directory + "/data"
            let total = 60_000
            #expect(try C360Process.run(["generate", "--customers", "2000", "--events", "\(total)", "--seed", "11", "--out", file]).status == 0)
            let eventIDs = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map { line -> String in
                let event = try C360_V1_Event(jsonString: String(line))
                return event.eventID
            }

            // Written behind every 20 ms (or at half a MiB), the projections are being written (or just
            // were) whenever the kill comes; with the defaults (2 s, 4 MiB) the kill comes before
            // the first write behind, and recovery folds the whole log.
            let busyWriteBehind = directory + "/busy-write-behind.yaml"
            try "storage:\n  projection_write_behind_seconds: 0.02\n  projection_write_behind_mb: 1\n".write(toFile: busyWriteBehind, atomically: true, encoding: .utf8)
            var random = SystemRandomNumberGenerator()
            var recoveries: [(cycle: Int, recovery: Recovery)] = []
            for cycle in 0..<4 {
                let acknowledged = try ingestAndKill(
                    file: file, data: data, config: cycle % 2 == 0 ? nil : busyWriteBehind,
                    extraMilliseconds: Int.random(in: 0...800, using: &random))
                try #require(acknowledged > 0, "cycle \(cycle): the ingest reported no committed lines before it was killed")

                let store = try EventStore(directory: data)
                if let recovery = store.recovery { recoveries.append((cycle, recovery)) }
                let statistics = try store.statistics()
                // Every line is a valid event and batches hold 500 lines, so a store holding a
                // number of events that is not a multiple of 500 holds part of a batch. (Once all
                // lines are in, the total, 60,000, is a multiple too.)
                #expect(statistics.events % 500 == 0, "cycle \(cycle): \(statistics.events) events stored")
                #expect(statistics.events >= UInt64(acknowledged), "cycle \(cycle): \(acknowledged) acknowledged, \(statistics.events) stored")

                // Every acknowledged event is present exactly once.
                var stored: [String: Int] = [:]
                try store.forEachStoredEvent { _, event in stored[event.eventID, default: 0] += 1 }
                #expect(stored.values.allSatisfy { $0 == 1 })
                let missing = eventIDs.prefix(acknowledged).filter { stored[$0] == nil }
                #expect(missing.isEmpty, "cycle \(cycle): \(missing.count) acknowledged events missing, first \(missing.prefix(3))")
                #expect(UInt64(stored.count) == statistics.events)

                let report = try await store.replay(fromSnapshot: false)
                #expect(report.matchesLive, "cycle \(cycle): \(report.projectionsChanged) projections differ from their replay")
            }

            // Kills left projections to recover (a kill just after a write behind, or after the
            // last line, leaves none), and with the busy write behind a recovery started from a
            // checkpoint, not from the start of the log.
            #expect(!recoveries.isEmpty, "no kill left anything to recover")
            for (cycle, recovery) in recoveries where cycle % 2 == 1 {
                #expect(recovery.fromSeq > 0, "cycle \(cycle) recovered from seq 0: no projection was written behind before the kill")
            }

            // A final, uninterrupted ingest completes the log: every event exactly once.
            let finish = try C360Process.run(["ingest", file, "--data", data])
            #expect(finish.status == 0)
            let store = try EventStore(directory: data)
            #expect(try store.statistics().events == UInt64(total))
            #expect(try await store.replay(fromSnapshot: false).matchesLive)
        }
    }
}
