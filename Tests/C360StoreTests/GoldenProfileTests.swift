import C360Core
import C360Model
import C360Store
import Foundation
import SwiftProtobuf
import Testing

/// Profiles of a hand-written data set against profiles written by hand (`Golden/`): the expected
/// values come from the README's definitions, not from running this code.
@Suite struct GoldenProfileTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test("fourteen hand-written customers evaluate to their hand-written profiles, before and after a replay")
    func goldenProfiles() async throws {
        let expectedFile = try Data(contentsOf: Self.golden.appendingPathComponent("expected-profiles.json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: expectedFile) as? [String: Any])
        let asOf = Instant(try Google_Protobuf_Timestamp(jsonString: "\"\(try #require(expected["asOf"] as? String))\""))
        let profiles = try #require(expected["profiles"] as? [String: Any])
        #expect(profiles.count >= 12)

        try await withTemporaryDirectory { directory in
            let store = try EventStore(directory: directory)
            defer { store.close() }
            var summary = NDJSONLoader.Summary()
            try await NDJSONLoader().load(
                file: Self.golden.appendingPathComponent("events.ndjson").path, into: store, summary: &summary,
                onRejection: { Issue.record("line \($0.line) rejected: \($0.error)") }, onProgress: { _ in })
            #expect(summary.appended == 53)

            for pass in ["live", "replayed"] {
                if pass == "replayed" { #expect(try await store.replay(fromSnapshot: false).matchesLive) }
                for (customerID, fields) in profiles.sorted(by: { $0.key < $1.key }) {
                    var options = JSONEncodingOptions()
                    options.alwaysPrintInt64sAsNumbers = true
                    let json = try C360_V1_Profile(store.profile(customerID: customerID, asOf: asOf)).jsonUTF8Data(options: options)
                    let actual = try JSONSerialization.jsonObject(with: json)
                    for mismatch in Self.mismatches(expected: fields, actual: actual, path: customerID) {
                        Issue.record("\(pass): \(mismatch)")
                    }
                }
            }
        }
    }

    /// Where `actual` differs from `expected`: every key of an expected object must match (null:
    /// must be absent), arrays must match element by element, numbers to 1e-9. Protobuf's JSON
    /// leaves out fields at their default (0, false, "", [], UNSPECIFIED) unless they track
    /// presence, so an expected default matches an absent field; `null` is what tells absence apart.
    static func mismatches(expected: Any, actual: Any?, path: String) -> [String] {
        if actual == nil, isDefault(expected) { return [] }
        if actual == nil, expected is [String: Any] {
            // A message with every field at its default is left out whole.
            return mismatches(expected: expected, actual: [String: Any](), path: path)
        }
        switch expected {
        case is NSNull:
            return actual == nil ? [] : ["\(path): expected absent, got \(actual!)"]
        case let object as [String: Any]:
            guard let actualObject = actual as? [String: Any] else { return ["\(path): expected an object, got \(actual ?? "nothing")"] }
            // A "comment" explains the expectation to its reader; it is not a profile field.
            return object.keys.filter { $0 != "comment" }.sorted().flatMap { key in
                mismatches(expected: object[key]!, actual: actualObject[key], path: "\(path).\(key)")
            }
        case let array as [Any]:
            guard let actualArray = actual as? [Any] else { return ["\(path): expected an array, got \(actual ?? "nothing")"] }
            guard array.count == actualArray.count else { return ["\(path): expected \(array.count) elements, got \(actualArray.count): \(actualArray)"] }
            return zip(array, actualArray).enumerated().flatMap { index, pair in
                mismatches(expected: pair.0, actual: pair.1, path: "\(path)[\(index)]")
            }
        case let string as String:
            return actual as? String == string ? [] : ["\(path): expected \(string), got \(actual ?? "nothing")"]
        case let number as NSNumber:
            guard let actualNumber = actual as? NSNumber else { return ["\(path): expected \(number), got \(actual ?? "nothing")"] }
            return abs(number.doubleValue - actualNumber.doubleValue) < 1e-9 ? [] : ["\(path): expected \(number), got \(actualNumber)"]
        default:
            return ["\(path): cannot compare \(expected)"]
        }
    }

    static func isDefault(_ value: Any) -> Bool {
        switch value {
        case let number as NSNumber: number.doubleValue == 0
        case let string as String: string.isEmpty || string.hasSuffix("_UNSPECIFIED")
        case let array as [Any]: array.isEmpty
        default: false
        }
    }
}
