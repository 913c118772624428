import C360Codec
import C360Core
import C360Generator
import C360Model
import Foundation
import SwiftProtobuf
import Testing

/// A projection decoded in part keeps the others in its stored bytes and writes them back as they
/// were; folding an event into one decoded with the parts `ProjectionFold.parts(changedBy:)` names
/// gives the bytes folding it into the whole projection gives.
@Suite struct ProjectionPartsTests {
    @Test("any parts decoded, the rest retained: written back byte for byte, decoded later to the same projection", arguments: 0..<300)
    func retainedPartsRoundTrip(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 80_000)
        let bytes: [UInt8] = try random.projection().serializedBytes()
        let whole = try ProjectionWireCodec.decode(bytes)
        let parts = Projection.Parts(rawValue: UInt16(random.int(0...Int(Projection.Parts.all.rawValue))))
        var partial = try ProjectionWireCodec.decode(bytes, parts: parts)
        #expect(ProjectionWireCodec.encode(partial) == bytes)
        #expect(partial.retained.map { $0.parts.isDisjoint(with: parts) } ?? true)
        #expect(partial.seq == whole.seq && partial.customerID == whole.customerID && partial.eventCount == whole.eventCount)
        if parts.contains(.orders) { #expect(partial.orders == whole.orders) }
        if parts.contains(.days) { #expect(partial.days == whole.days) }
        try ProjectionWireCodec.decodeRetained(.all, in: &partial)
        #expect(partial.retained == nil)
        #expect(partial == whole)
    }

    @Test("a part whose fields are not one after another is decoded rather than retained")
    func scatteredPartIsDecoded() throws {
        var first = C360_Store_V1_Projection()
        first.identities = [C360_Store_V1_LinkedIdentity.with { $0.linkedSeq = 1 }]
        var between = C360_Store_V1_Projection()
        between.days = [C360_Store_V1_DayBucket.with { $0.day = 7 }]
        var second = C360_Store_V1_Projection()
        second.identities = [C360_Store_V1_LinkedIdentity.with { $0.linkedSeq = 2 }]
        let bytes: [UInt8] = try first.serializedBytes() + between.serializedBytes() + second.serializedBytes()
        let partial = try ProjectionWireCodec.decode(bytes, parts: [])
        #expect(partial.retained?.parts == [.days])
        #expect(partial.identities.map(\.linkedSeq) == [1, 2])
        #expect(ProjectionWireCodec.encode(partial) == ProjectionWireCodec.encode(try ProjectionWireCodec.decode(bytes)))
    }

    @Test("a retained part that cannot be decoded is an error when it is decoded, and the rest still reads")
    func corruptRetainedPart() throws {
        var projection = C360_Store_V1_Projection()
        projection.seq = 9
        projection.orders.online = 3
        projection.web.sessions = 2
        var bytes: [UInt8] = try projection.serializedBytes()
        // The orders' only field: its key (field 1 of Orders, online, a varint) made a length-delimited key running past the end.
        let ordersAt = try #require(bytes.firstIndex(of: 0x3A))
        bytes[ordersAt + 2] = 0x0A
        var partial = try ProjectionWireCodec.decode(bytes, parts: [.web])
        #expect(partial.seq == 9 && partial.web.sessions == 2)
        #expect(throws: ProtobufWireError.self) { try ProjectionWireCodec.decodeRetained([.orders], in: &partial) }
        #expect(throws: ProtobufWireError.self) { try ProjectionWireCodec.decode(bytes) }
    }

    /// The generated history (orders, status changes, web, email, tickets, customer upserts),
    /// with identity resolutions folded with some of its events.
    @Test("folding into a projection decoded in part gives the bytes folding into the whole one gives")
    func foldingIntoPartsEqualsFoldingIntoTheWhole() throws {
        var events: [C360_V1_Event] = []
        SyntheticDataGenerator(customers: 40, events: 4_000, seed: 31).generate { events.append($0) }
        let fold = ProjectionFold()
        var whole: [String: Projection] = [:]
        var stored: [String: [UInt8]] = [:]
        var kinds: Set<String> = []
        for (index, event) in events.enumerated() {
            let seq = UInt64(index + 1)
            let resolution = index % 7 == 0 ? Self.resolution(linking: event, index: index) : nil
            var parts = ProjectionFold.parts(changedBy: event)
            if resolution != nil { parts.formUnion(ProjectionFold.resolutionParts) }
            kinds.insert(event.payload.map { "\($0)".prefix { $0 != "(" }.description } ?? "none")

            var full = whole[event.customerID] ?? ProjectionFold.emptyProjection(customerID: event.customerID)
            fold.apply(event, seq: seq, resolution: resolution, to: &full)
            whole[event.customerID] = full

            var partial = try stored[event.customerID].map { try ProjectionWireCodec.decode($0, parts: parts) }
                ?? ProjectionFold.emptyProjection(customerID: event.customerID)
            fold.apply(event, seq: seq, resolution: resolution, to: &partial)
            let bytes = ProjectionWireCodec.encode(partial)
            try #require(bytes == ProjectionWireCodec.encode(full), "event \(index) (\(parts))")
            stored[event.customerID] = bytes
        }
        #expect(kinds.isSuperset(of: ["customerUpserted", "orderPlaced", "orderStatusChanged", "webEvent", "emailEvent", "ticketEvent"]))
        for (customer, bytes) in stored { #expect(try ProjectionWireCodec.decode(bytes) == whole[customer]) }
    }

    private static func resolution(linking event: C360_V1_Event, index: Int) -> C360_Store_V1_Resolution {
        var resolution = C360_Store_V1_Resolution()
        resolution.linked = [C360_V1_Identity(type: .email, value: "person\(index)@example.com")]
        if index % 2 == 0 {
            var refusal = C360_Store_V1_Refusal()
            refusal.identity = C360_V1_Identity(type: .phone, value: "+4470000\(index)")
            refusal.reason = .ownedByAnotherCustomer
            resolution.refused = [refusal]
        }
        return resolution
    }
}
