import Foundation
import Testing

/// `c360 bench codec` reports the memory a decoded projection keeps, from the allocator the
/// executable runs on: the figure the benchmark table sets beside the stored encoding.
@Suite struct BenchCodecCommandTests {
    @Test("bench codec measures a decoded projection's memory and its parts, each within the whole")
    func decodedProjectionMemory() async throws {
        let result = try await C360Process.run(["bench", "codec", "--customers", "200", "--events", "3000", "--rounds", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let whole = try #require(figures["projection_decoded_bytes"] as? Double, "no memory figure: is jemalloc in use? \(figures.keys.sorted())")
        let encoded = try #require(figures["mean_projection_bytes"] as? Double)
        // Plain values with their own strings and arrays take more than the wire bytes they came from.
        #expect(whole > encoded, "decoded \(whole) against \(encoded) encoded")
        var parts: [String: Double] = [:]
        for name in ["details", "orders", "web", "email", "support", "identities", "days"] {
            let bytes = try #require(figures["projection_decoded_bytes_\(name)"] as? Double, "\(name)")
            parts[name] = bytes
        }
        #expect(parts.values.allSatisfy { $0 >= 0 }, "\(parts)")
        // The generated customers have orders, details and days, which allocate.
        for name in ["orders", "details", "days"] {
            #expect(parts[name, default: 0] > 0, "\(name)")
        }
        // What the parts allocate is part of the whole, which also counts the value's own bytes.
        #expect(parts.values.reduce(0, +) < whole, "parts \(parts) against \(whole)")
        // Decoded for an order, a projection allocates its orders and days and leaves the rest (the
        // details, which allocate) in the bytes it shares.
        let forOrder = try #require(figures["projection_decoded_for_order_bytes"] as? Double)
        #expect(forOrder < whole - parts["details", default: 0] / 2, "for an order \(forOrder) against \(whole)")
        #expect(forOrder > parts["orders", default: 0] + parts["days", default: 0], "for an order \(forOrder), parts \(parts)")
    }
}
