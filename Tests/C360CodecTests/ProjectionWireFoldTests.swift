import C360Codec
import C360Core
import C360Generator
import C360Model
import Foundation
import SwiftProtobuf
import Testing

/// Folding a web or email event into a projection's stored bytes gives, byte for byte, what
/// encoding the decoded fold's projection gives; whatever it does not take, it leaves to the decoded
/// fold (`nil`), and it takes most of what the generated data sets hold.
@Suite struct ProjectionWireFoldTests {
    /// Folds `events` both ways, customer by customer; returns how many of the web and email
    /// events the wire fold took, and of them how many went to each day placement.
    private static func foldBothWays(
        _ events: [C360_V1_Event], by fold: ProjectionFold
    ) throws -> (offered: Int, taken: Int, placements: [ProjectionFold.DayPlacement: Int]) {
        var stored: [String: [UInt8]] = [:]
        var offered = 0, taken = 0
        var placements: [ProjectionFold.DayPlacement: Int] = [:]
        for (index, event) in events.enumerated() {
            let seq = UInt64(index + 1)
            let foldable = FoldableEvent(event)
            let before = stored[event.customerID]
            var decoded = try before.map { try ProjectionWireCodec.decode($0) } ?? ProjectionFold.emptyProjection(customerID: event.customerID)
            let days = decoded.days
            fold.apply(foldable, seq: seq, resolution: nil, to: &decoded)
            let expected = ProjectionWireCodec.encode(decoded)
            stored[event.customerID] = expected
            let bytes = before ?? ProjectionWireCodec.encode(ProjectionFold.emptyProjection(customerID: event.customerID))
            // The writer asks `takes` before it looks for a projection's bytes: what it says no to,
            // the wire fold must not take either.
            if !ProjectionWireFold.takes(foldable) {
                #expect(ProjectionWireFold.folding(foldable, seq: seq, into: bytes, by: fold) == nil, "event \(index)")
            }
            switch foldable.payload {
            case .webEvent, .emailEvent: offered += 1
            default: continue
            }
            guard let folded = ProjectionWireFold.folding(foldable, seq: seq, into: bytes, by: fold) else { continue }
            taken += 1
            try #require(folded == expected, "event \(index): \(event.payload.map { "\($0)" } ?? "none")")
            if case .webEvent = foldable.payload {
                let placement = fold.placement(ofDay: ProjectionFold.day(of: foldable.occurredAt), lastDay: days.last?.day)
                placements[placement, default: 0] += 1
            }
        }
        return (offered, taken, placements)
    }

    @Test("the generated history, folded into stored bytes, gives the decoded fold's bytes; most web and email events are taken",
          arguments: [90, 3, 1, 0])
    func generatedHistory(daysKept: Int) throws {
        var events: [C360_V1_Event] = []
        SyntheticDataGenerator(customers: 40, events: 6_000, seed: 47).generate { events.append($0) }
        var fold = ProjectionFold()
        fold.dayBucketsKept = daysKept
        let (offered, taken, placements) = try Self.foldBothWays(events, by: fold)
        #expect(offered > 3_000)
        if daysKept == 90 {
            // A web error (its list) or a day bucket inserted before the last goes to the decoded fold.
            #expect(Double(taken) > 0.9 * Double(offered), "taken \(taken) of \(offered)")
            #expect(placements[.last, default: 0] > 100 && placements[.appended, default: 0] > 100)
        }
        if daysKept == 0 { #expect(placements[.dropped, default: 0] > 100 && taken > offered / 2) }
        // Keeping one day, a bucket appended drops every bucket before it: the run left is empty.
        if daysKept == 1 { #expect(placements[.appended, default: 0] > 100, "placements \(placements)") }
    }

    @Test("random events in random order (times, sessions, devices, types), each folded both ways", arguments: 0..<200)
    func randomEvents(seed: Int) throws {
        var random = Random(seed: UInt64(seed) &+ 90_000)
        let customers = ["c1", "c2", ""]
        var events: [C360_V1_Event] = []
        for _ in 0..<40 {
            var event = try random.event()
            event.customerID = customers[random.int(0...2)]
            // Times as validation lets them in (any `Timestamp` would overflow the fold's day arithmetic), over some 20 days.
            event.occurredAt.seconds = 1_700_000_000 + Int64(random.int(0...40)) * 43_200
            event.occurredAt.nanos = Int32(random.int(0...999_999_999))
            events.append(event)
        }
        var fold = ProjectionFold()
        fold.dayBucketsKept = [90, 2, 1][seed % 3]
        _ = try Self.foldBothWays(events, by: fold)
    }

    @Test("what it does not take: other payloads, web errors, a day bucket before the last, bytes c360 does not write")
    func leftToTheDecodedFold() throws {
        let fold = ProjectionFold()
        var projection = ProjectionFold.emptyProjection(customerID: "c1")
        func event(day: Int64, _ payload: C360_V1_Event.OneOf_Payload) -> FoldableEvent {
            var event = C360_V1_Event()
            event.customerID = "c1"
            event.occurredAt.seconds = 20_000 * 86_400 + day * 86_400
            event.payload = payload
            return FoldableEvent(event)
        }
        let web = { (type: C360_V1_WebEventType) in C360_V1_Event.OneOf_Payload.webEvent(C360_V1_WebEvent.with { $0.type = type; $0.sessionID = "s1" }) }
        fold.apply(event(day: 5, web(.pageView)), seq: 1, resolution: nil, to: &projection)
        let bytes = ProjectionWireCodec.encode(projection)
        #expect(ProjectionWireFold.folding(event(day: 5, web(.pageView)), seq: 2, into: bytes, by: fold) != nil)
        #expect(ProjectionWireFold.folding(event(day: 4, web(.pageView)), seq: 2, into: bytes, by: fold) == nil)
        #expect(ProjectionWireFold.folding(event(day: 5, web(.error)), seq: 2, into: bytes, by: fold) == nil)
        #expect(ProjectionWireFold.folding(event(day: 5, .orderPlaced(C360_V1_OrderPlaced())), seq: 2, into: bytes, by: fold) == nil)
        #expect(ProjectionWireFold.folding(event(day: 5, .emailEvent(C360_V1_EmailEvent.with { $0.type = .opened })), seq: 2, into: bytes, by: fold) != nil)
        // An unknown field, a field repeated where c360 writes one, fields out of order, malformed bytes.
        for odd in [bytes + [0xA0, 0x01, 0x01], bytes + [0x10, 0x05], [0x10, 0x05] + [0x08, 0x03] + bytes, Array(bytes.dropLast())] {
            #expect(ProjectionWireFold.folding(event(day: 5, web(.pageView)), seq: 2, into: odd, by: fold) == nil)
        }
    }
}
