import ArgumentParser
import C360Core
import C360Mapping
import C360Model
import C360Store
import Foundation
import SwiftProtobuf

struct MappingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping",
        abstract: "Check a mapping from another system's records to events, and test it on sample records.",
        discussion: """
            A mapping (YAML) turns records of another system — a line of its JSON export, a CSV row, a
            database row — into c360 events: see the README's mapping reference and ops/mappings/.
            """,
        subcommands: [Check.self, Test.self])

    /// Reads and checks a mapping file, or fails naming the rule, the key and the line.
    static func load(_ path: String) throws -> Mapping {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the mapping \(path)") }
        do throws(C360Error) {
            return try Mapping(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw ValidationError("\(path): \(error.message)")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a mapping file: exits 1 naming the rule, the key and the line of the first mistake.")

        @Argument(help: "The mapping (YAML).") var mapping: String

        func run() throws {
            let loaded = try MappingCommand.load(mapping)
            print("\(mapping): mapping \(loaded.name), \(loaded.ruleNames.count) rules: \(loaded.ruleNames.joined(separator: ", "))")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the events sample records become, or why they cannot.",
            discussion: """
                SAMPLE is a JSON file holding one record (which may span lines) or one record per line,
                or a CSV file with a header row. Each record's events are printed as c360's JSON, one per
                line, after a line naming the record and the rule that took it; a record skipped or
                refused says why. Values that are not in the record — a database change's _table, _op
                and _lsn — are given with --set. Exits 1 when any record was refused.
                Example: c360 mapping test ops/mappings/shop-postgres.yaml row.json --set _table=orders --set _op=insert --set _lsn=0/16B3748
                """)

        @Argument(help: "The mapping (YAML).") var mapping: String
        @Argument(help: "Sample records: JSON, NDJSON or CSV (- for standard input).") var sample: String
        @Option(help: ArgumentHelp("How the sample is written, ndjson (also one JSON record) or csv (default: csv for .csv files).", valueName: "format")) var format: RecordFormat?
        @Option(name: .customLong("set"), help: ArgumentHelp("A value beside the record's fields, NAME=VALUE (repeatable).", valueName: "name=value")) var values: [String] = []

        func run() async throws {
            let loaded = try MappingCommand.load(mapping)
            var metadata: [String: String] = [:]
            for value in values {
                guard let equals = value.firstIndex(of: "="), equals != value.startIndex else { throw ValidationError("--set takes NAME=VALUE, not \(value)") }
                metadata[String(value[..<equals])] = String(value[value.index(after: equals)...])
            }
            let format = format ?? RecordFormat(file: sample)
            var refused = 0
            var records: [(line: UInt64, record: Result<RecordValue, C360Error>)] = []
            // A JSON file holding one record over several lines is read whole; otherwise line by line.
            let whole = sample == "-" ? nil : FileManager.default.contents(atPath: sample)
            if format == .ndjson, let whole, let record = try? RecordValue.json(Array(whole)) {
                records = [(1, .success(record))]
            } else {
                var reader = MappedRecords(format: format)
                do throws(C360Error) {
                    try await LineReader(file: sample).forEachLine { line, number throws(C360Error) in
                        var line = line
                        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                        if format == .ndjson, line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                        do throws(C360Error) {
                            if let record = try reader.record(line: line) { records.append((number, .success(record))) }
                        } catch {
                            records.append((number, .failure(error)))
                        }
                    }
                } catch {
                    throw ValidationError("cannot read \(sample): \(error.message)")
                }
            }
            var options = JSONEncodingOptions()
            options.preserveProtoFieldNames = true
            for (line, record) in records {
                switch record {
                case .failure(let error):
                    print("line \(line): refused: \(error.message)")
                    refused += 1
                case .success(let record):
                    var metadata = metadata
                    metadata["_line"] = metadata["_line"] ?? "\(line)"
                    metadata["_file"] = metadata["_file"] ?? sample
                    do throws(C360Error) {
                        let events = try loaded.events(from: record, metadata: metadata)
                        let rule = loaded.rule(for: record, metadata: metadata)
                        if let reason = rule?.skipReason {
                            print("line \(line): skipped by rule \"\(rule?.name ?? "")\": \(reason)")
                        } else {
                            print("line \(line): rule \"\(rule?.name ?? "")\", \(events.count) event\(events.count == 1 ? "" : "s")")
                            for event in events { print((try? event.jsonString(options: options)) ?? "") }
                        }
                    } catch {
                        print("line \(line): refused: \(error.message)")
                        refused += 1
                    }
                }
            }
            if refused > 0 { throw ExitCode(1) }
        }
    }
}

/// How the records of a file are written.
enum RecordFormat: String, ExpressibleByArgument {
    case ndjson, csv

    /// CSV for a `.csv` file, else NDJSON.
    init(file: String) {
        self = file.lowercased().hasSuffix(".csv") ? .csv : .ndjson
    }
}

/// The records of a file's lines: a JSON object per line, or CSV rows under a header.
struct MappedRecords {
    let format: RecordFormat
    private var csv = CSVRecords()

    init(format: RecordFormat) {
        self.format = format
    }

    /// The record a line completes (none for a CSV header, or a line inside a quoted field).
    mutating func record(line: ArraySlice<UInt8>) throws(C360Error) -> RecordValue? {
        switch format {
        case .ndjson: try RecordValue.json(line)
        case .csv: try csv.take(line: line)
        }
    }

    var endsInsideQuotedField: Bool { csv.isInsideQuotedField }
}
