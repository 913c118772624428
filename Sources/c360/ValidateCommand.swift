import ArgumentParser
import C360Core
import C360Store
import Foundation

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an NDJSON event file against the data-quality rules, without ingesting it.",
        discussion: """
            Reports, per rule, the number of violations and the first examples (line, event id, what is wrong): \
            malformed_event, missing_customer_id, duplicate_event_id, duplicate_customer (one email under two \
            customer ids), bad_email, non_positive_amount, impossible_date. Exits 0 when the file is clean, 1 when \
            any rule is violated, 2 when the file cannot be read.
            Example: c360 validate events.ndjson --examples 3
            """)

    @Argument(help: "The NDJSON file to check (- for standard input).")
    var file: String

    @Option(help: "Examples shown per rule.")
    var examples = 5

    @Option(help: "Output: text or json.")
    var format: OutputFormat = .text

    enum OutputFormat: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        guard examples >= 0 else { throw ValidationError("--examples must be 0 or more") }
    }

    func run() async throws {
        var check = DataQualityCheck()
        check.examplesKept = examples
        do throws(C360Error) {
            try await LineReader(file: file).forEachLine { line, number in
                var line = line
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                check.check(line: line, at: number)
            }
        } catch {
            FileHandle.standardError.write(Data("c360 validate: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        let report = check.report
        switch format {
        case .text: print(Self.text(report, file: file))
        case .json: print(Self.json(report, file: file))
        }
        if report.violations > 0 { throw ExitCode(1) }
    }

    static func text(_ report: DataQualityCheck.Report, file: String) -> String {
        var lines = ["\(file): \(report.lines) events checked, \(report.violations) violations"]
        for finding in report.findings {
            let name = finding.rule.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
            lines.append("  \(name) \(String(finding.count).leftPadded(to: 9))  \(finding.rule.summary)")
            for example in finding.examples {
                let id = example.eventID.isEmpty ? "" : " \(example.eventID)"
                lines.append("      line \(example.line)\(id): \(example.detail)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: DataQualityCheck.Report, file: String) -> String {
        let rules: [[String: Any]] = report.findings.map { finding in
            ["rule": finding.rule.rawValue, "count": finding.count,
             "examples": finding.examples.map { ["line": $0.line, "event_id": $0.eventID, "detail": $0.detail] as [String: Any] }]
        }
        let object: [String: Any] = ["file": file, "events": report.lines, "violations": report.violations, "rules": rules]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
