import ArgumentParser
import C360API
import C360Core
import C360Mapping
import C360Model
import C360Store
import Foundation

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append the events of NDJSON files (- for standard input) to the log.",
        discussion: """
            Each line is one event in the protobuf JSON mapping of c360.v1.Event. A line that is not a
            valid event is reported on standard error as FILE:LINE: reason and skipped; every other line
            is still appended. Events already in the log (same event_id) are skipped as duplicates.
            Exits with status 1 when any line was rejected.
            With --mapping, each line is a record of another system (a JSON object, or a CSV row
            under a header row) that the mapping turns into events (see `c360 mapping`); a record it
            cannot map is reported with the rule and the field, as a rejected line.
            Example: c360 ingest demo.ndjson --data ./c360-data
            Example: c360 ingest --mapping ops/mappings/storefront-orders.yaml orders.ndjson
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "Events per append.") var batchSize = 1_000
    @Option(help: ArgumentHelp("Append through a running server instead of opening the data directory (with the access token in $C360_TOKEN, if the server asks for one).", valueName: "host:port")) var server: String?
    @Option(help: ArgumentHelp("A mapping (YAML) from another system's records to events.", valueName: "file")) var mapping: String?
    @Option(help: ArgumentHelp("With --mapping: how records are written, ndjson or csv (default: csv for .csv files, else ndjson).", valueName: "format")) var format: RecordFormat?
    @Argument(help: ArgumentHelp("NDJSON files, or - for standard input.", valueName: "file")) var files: [String]

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        guard format == nil || mapping != nil else { throw ValidationError("--format applies to records read with --mapping") }
        for file in files where file != "-" && !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("cannot read \(file)")
        }
    }

    func run() async throws {
        let mapping = try self.mapping.map(MappingCommand.load)
        let summary: NDJSONLoader.Summary
        if let server {
            summary = try await RemoteStore.withConnection(to: server, token: ProcessInfo.processInfo.environment[RemoteStore.tokenVariable]) {
                try await load(into: $0, mapping: mapping)
            }
        } else {
            let store = try dataDirectory.openStore(creatingIfMissing: true)
            defer { store.closeLettingCompactionsFinish(after: "load") }
            // Membership is evaluated as of today before today's appends change it.
            if !store.configuration.segments.isEmpty { _ = try await store.refreshSegments() }
            summary = try await load(into: store, mapping: mapping)
        }
        print("appended \(summary.appended), duplicates skipped \(summary.duplicates), rejected \(summary.rejected) — \(summary.lines) lines in \(String(format: "%.1f", summary.seconds)) s, \(Int(summary.eventsPerSecond)) events/s")
        if summary.rejected > 0 { throw ExitCode(1) }
    }

    private func load(into appender: some EventAppender, mapping: Mapping?) async throws -> NDJSONLoader.Summary {
        var loader = NDJSONLoader()
        loader.batchSize = batchSize
        var summary = NDJSONLoader.Summary()
        // Standard input has no size known in advance: then the rate alone is shown.
        let sizes = files.map { file in file == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? nil }
        let totalBytes: UInt64? = sizes.contains { $0 == nil } ? nil : sizes.reduce(0) { $0 + ($1 ?? 0) }
        let progress = ProgressReporter(label: "ingest")
        defer { progress.finish() }
        for file in files {
            var records = MappedRecords(format: format ?? RecordFormat(file: file))
            var lineEvents: ((ArraySlice<UInt8>, UInt64) throws(C360Error) -> [C360_V1_Event])?
            if let mapping {
                lineEvents = { (line: ArraySlice<UInt8>, number: UInt64) throws(C360Error) -> [C360_V1_Event] in
                    guard let record = try records.record(line: line) else { return [] }
                    return try mapping.events(from: record, metadata: ["_file": file, "_line": "\(number)"])
                }
            }
            try await loader.load(
                file: file, into: appender, summary: &summary, lineEvents: lineEvents,
                onRejection: { rejection in
                    let message = rejection.error.field.map { "\($0): \(rejection.error.message)" } ?? rejection.error.message
                    StandardError.write("\(rejection.file):\(rejection.line): \(message)")
                },
                onProgress: { summary in
                    progress.update(
                        fraction: totalBytes.map { Double(summary.bytesRead) / Double(max($0, 1)) },
                        "\(file): \(summary.linesCommitted) lines committed (\(summary.appended) appended, \(summary.duplicates) duplicates, \(summary.rejected) rejected), \(Int(summary.eventsPerSecond)) events/s")
                })
            if records.endsInsideQuotedField {
                StandardError.write("\(file): the file ends inside a quoted field: its last record was not read")
                summary.rejected += 1
            }
        }
        return summary
    }
}

/// Writes to standard error, one line at a time.
enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
