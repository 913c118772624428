public import C360Core
public import C360Model
import Foundation

/// Loads NDJSON event files (one `c360.v1.Event` in its protobuf JSON mapping per line) into an
/// `EventAppender`, batch by batch. A line that is not a valid event is reported with its line
/// number and reason and skipped; every other line is still appended.
public struct NDJSONLoader: Sendable {
    /// Counts so far, handed to the progress callback and returned at the end.
    public struct Summary: Sendable {
        public var lines: UInt64 = 0
        /// Lines of the current file up to which every valid event is durably appended.
        public var linesCommitted: UInt64 = 0
        public var appended: UInt64 = 0
        public var duplicates: UInt64 = 0
        public var rejected: UInt64 = 0
        public var seconds: Double = 0
        /// Bytes of input read so far, newlines included: progress through a file of known size.
        public var bytesRead: UInt64 = 0

        public init() {}

        public var eventsPerSecond: Double { seconds > 0 ? Double(appended + duplicates) / seconds : 0 }
    }

    /// One line that was not appended.
    public struct Rejection: Sendable {
        public var file: String
        public var line: UInt64
        public var error: C360Error
    }

    /// Decodes without validating: the appender validates every event, and reports what fails
    /// under the event's line number all the same.
    public var decoder = EventJSONDecoder(validator: nil)
    /// Events per append call. Default 1,000.
    public var batchSize = 1_000

    public init() {}

    /// Appends every valid line of `file` (`-` for standard input).
    /// - Parameters:
    ///   - onRejection: called for each line not appended, as it is found.
    ///   - onProgress: called after each committed batch with the counts so far.
    /// - Throws: `C360Error` `.io` when the file cannot be read; the store's failure (a full
    ///   disk, a server gone) when it could not take a batch: the load stops there, every line
    ///   before that batch committed (`summary.linesCommitted`), so that running it again goes on
    ///   where it stopped (the lines already stored are skipped as duplicates).
    /// - Parameter lineEvents: how a line becomes events (a mapping applied to a line of foreign
    ///   JSON or a CSV row: none, one or several); default: the line is one event in c360's JSON.
    public func load(
        file: String,
        into appender: some EventAppender,
        summary: inout Summary,
        lineEvents: ((_ line: ArraySlice<UInt8>, _ number: UInt64) throws(C360Error) -> [C360_V1_Event])? = nil,
        onRejection: (Rejection) -> Void,
        onProgress: (Summary) -> Void
    ) async throws(C360Error) {
        let started = ContinuousClock.now
        var batch: [C360_V1_Event] = []
        var batchLines: [UInt64] = []
        // Oldest first: settled in the order they were submitted.
        var inFlight: [(task: Task<[AppendOutcome], Never>, lines: [UInt64])] = []
        let batchesInFlight = max(1, appender.batchesInFlight)

        func settle(_ flight: (task: Task<[AppendOutcome], Never>, lines: [UInt64])) async throws(C360Error) {
            let outcomes = await flight.task.value
            // Going on would report lines committed that are not, and reject every line after.
            if let failure = outcomes.lazy.compactMap(\.storeFailure).first {
                throw C360Error(
                    failure.code,
                    "\(file): stopped at line \(flight.lines.first ?? 0), which was not stored: \(failure.message). Every line before it is committed; run the same ingest again to go on (lines already stored are skipped as duplicates)")
            }
            for (outcome, line) in zip(outcomes, flight.lines) {
                switch outcome {
                case .appended: summary.appended += 1
                case .duplicate: summary.duplicates += 1
                case .rejected(let error):
                    summary.rejected += 1
                    onRejection(Rejection(file: file, line: line, error: error))
                }
            }
            if let last = flight.lines.last { summary.linesCommitted = max(summary.linesCommitted, last) }
            summary.seconds = EventStore.seconds(since: started)
            onProgress(summary)
        }

        func send() async throws(C360Error) {
            guard !batch.isEmpty else { return }
            // The next batch is decoded and prepared while those before are being committed, and
            // handed over once fewer than `batchesInFlight` wait: an appender that takes more than
            // one keeps them in the order submitted, and the log must keep the file's order.
            let prepared = appender.prepare(batch)
            while inFlight.count >= batchesInFlight { try await settle(inFlight.removeFirst()) }
            inFlight.append((appender.submit(prepared: prepared), batchLines))
            batch.removeAll(keepingCapacity: true)
            batchLines.removeAll(keepingCapacity: true)
        }

        var lineNumber: UInt64 = 0
        func take(_ rawLine: ArraySlice<UInt8>, _ number: UInt64) async throws(C360Error) {
            lineNumber = number
            summary.lines += 1
            summary.bytesRead += UInt64(rawLine.count) + 1
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            // Blank lines are not events: skipped silently.
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            do throws(C360Error) {
                if let lineEvents {
                    let events = try lineEvents(line, lineNumber)
                    batch += events
                    batchLines += Array(repeating: lineNumber, count: events.count)
                } else {
                    batch.append(try decoder.decode(line: line))
                    batchLines.append(lineNumber)
                }
            } catch {
                summary.rejected += 1
                onRejection(Rejection(file: file, line: lineNumber, error: error))
            }
            if batch.count >= batchSize { try await send() }
        }

        summary.linesCommitted = 0
        try await LineReader(file: file).forEachLine(take)
        try await send()
        while !inFlight.isEmpty { try await settle(inFlight.removeFirst()) }
        summary.linesCommitted = lineNumber
        summary.seconds = EventStore.seconds(since: started)
    }
}
