import C360Fuzz
import C360Mapping
import Foundation
import Testing

/// Every seed of the fuzzing corpus and every input a fuzzer ever crashed on (kept under
/// `ops/fuzz/regressions/`), run through the same code the fuzzers run: none may crash.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../ops/fuzz").standardized.path

    static func inputs(_ target: String) throws -> [(String, [UInt8])] {
        var found: [(String, [UInt8])] = []
        for kind in ["corpus", "regressions"] {
            let directory = "\(fuzzDirectory)/\(kind)/\(target)"
            for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where !name.hasPrefix(".") {
                found.append(("\(kind)/\(target)/\(name)", Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))))
            }
        }
        return found
    }

    @Test("the NDJSON corpus and regressions decode or are rejected, without crashing")
    func ndjson() throws {
        let inputs = try Self.inputs("ndjson")
        #expect(inputs.count >= 10, "the committed seed corpus is missing")
        for (_, bytes) in inputs { FuzzTargets.ndjson(bytes) }
    }

    @Test("the same corpus as other systems' records, through a mapping: mapped or refused, without crashing; the record seeds are mapped")
    func mappedRecords() throws {
        let inputs = try Self.inputs("ndjson")
        for (_, bytes) in inputs { FuzzTargets.mappedRecord(bytes) }
        let seeds = inputs.filter { $0.0.contains("/record-") }
        #expect(seeds.count >= 2)
        for (name, bytes) in seeds {
            let record = name.hasSuffix(".csv") ? nil : try RecordValue.json(bytes)
            if let record {
                #expect(try FuzzTargets.recordMapping.events(from: record).count == 1, "\(name)")
            }
        }
    }

    @Test("the RPC corpus and regressions are answered, without crashing, over a real store")
    func rpc() throws {
        let inputs = try Self.inputs("rpc")
        #expect(inputs.count >= FuzzTargets.Method.allCases.count, "the committed seed corpus is missing")
        let harness = try FuzzTargets.RPCHarness()
        for (_, bytes) in inputs { harness.handle(bytes) }
    }

    @Test("the codec corpus and regressions decode alike with both decoders, without crashing")
    func codec() throws {
        let inputs = try Self.inputs("codec")
        #expect(inputs.count >= 8, "the committed seed corpus is missing")
        for (_, bytes) in inputs { FuzzTargets.codec(bytes) }
    }
}
