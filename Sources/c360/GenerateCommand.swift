import ArgumentParser
import C360Generator
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write realistic synthetic events (NDJSON) for demos and benchmarks.",
        discussion: "The same options always write the same bytes. Example: c360 generate --customers 1000 --events 20000 --seed 7 --out demo.ndjson")

    @Option(help: "Number of customers.") var customers = 1_000
    @Option(help: "Number of events, customer sign-ups included.") var events = 20_000
    @Option(help: "Seed of the random generator.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Output file; standard output when omitted.", valueName: "file")) var out: String?

    func validate() throws {
        guard customers > 0 else { throw ValidationError("--customers must be at least 1") }
        guard events >= 0 else { throw ValidationError("--events must not be negative") }
    }

    func run() throws {
        let output: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw ValidationError("cannot create \(out)")
            }
            output = handle
        } else {
            output = FileHandle.standardOutput
        }
        defer { if out != nil { try? output.close() } }
        var buffer = Data()
        buffer.reserveCapacity(1 << 20)
        try SyntheticDataGenerator(customers: customers, events: events, seed: seed).generate { event in
            buffer.append(contentsOf: Array(try JSONOutput.line(event).utf8))
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 20 {
                try output.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try output.write(contentsOf: buffer)
    }
}
