import C360Codec
import C360Core
public import C360Generator
import C360Model
import Foundation
import SwiftProtobuf

/// The codecs of the hot paths side by side on the benchmark's data (`c360 generate`'s events,
/// folded into projections and evaluated into profiles in memory): decoding a stored event and
/// encoding a `GetProfileResponse` (SwiftProtobuf from its message, c360's encoder from the plain
/// `Profile` the evaluator gives), with SwiftProtobuf and with c360's hand-written codec, in one
/// run. Each figure is the best of `rounds` passes over all the data, in nanoseconds per item.
public enum CodecBenchmark {
    public struct Figures: Sendable {
        public var events = 0
        public var profiles = 0
        public var meanEventBytes = 0.0
        public var meanProfileResponseBytes = 0.0
        public var eventDecodeSwiftProtobufNs = 0.0
        public var eventDecodeHandWrittenNs = 0.0
        /// What the fold reads, as plain values (`EventWireDecoder.foldableEvent`), as a replay decodes.
        public var eventDecodeForFoldNs = 0.0
        /// Folding one decoded event into its customer's projection.
        public var eventFoldNs = 0.0
        /// Folding one event in log order (customers interleaved, as the writer folds) into its
        /// customer's projection held decoded.
        public var eventFoldHeldInLogOrderNs = 0.0
        /// The same with each projection held as its stored bytes: the parts the event changes
        /// decoded, the event folded, the projection encoded again.
        public var eventFoldOnStoredBytesNs = 0.0
        /// Where `eventFoldOnStoredBytesNs` goes: decoding the parts, folding, encoding the
        /// projection, destroying the decoded value (one pass, each step timed on its own).
        public var eventFoldOnStoredBytesSteps = (decode: 0.0, fold: 0.0, encode: 0.0, destroy: 0.0)
        /// The same with web and email events folded into the stored bytes themselves
        /// (`ProjectionWireFold`), the others as above; and the share of events it took.
        public var eventFoldInStoredBytesNs = 0.0
        public var eventFoldInStoredBytesTaken = 0.0
        public var projectionDecodeSwiftProtobufNs = 0.0
        public var projectionDecodePlainNs = 0.0
        /// Decoding a stored projection with only the parts an order placement changes (orders and
        /// days; `ProjectionFold.parts(changedBy:)`), the others left in its bytes: what the writer
        /// decodes to fold an order into a projection not held in memory.
        public var projectionDecodeForOrderNs = 0.0
        public var projectionEncodeSwiftProtobufNs = 0.0
        public var projectionEncodePlainNs = 0.0
        public var meanProjectionBytes = 0.0
        public var profileEncodeSwiftProtobufNs = 0.0
        /// From the plain `Profile` the evaluator gives.
        public var profileEncodeHandWrittenNs = 0.0
        /// Evaluating a projection into its plain `Profile`, as a lookup does before encoding it.
        public var profileEvaluateNs = 0.0
        /// The memory a decoded projection occupies, mean over the data set: its value inline plus
        /// what it allocates (as the allocator's size classes), beside `meanProjectionBytes` of its
        /// encoding. `nil` when the allocator cannot say (`run`'s `liveBytes`).
        public var projectionDecodedBytes: Double?
        /// What each top-level part of a decoded projection allocates, mean over the data set
        /// (`details`, `orders`, `web`, `email`, `support`, `identities`, `days`): where that memory is.
        public var projectionDecodedPartBytes: [String: Double] = [:]
        /// The memory such a projection, decoded for an order, occupies besides the stored bytes it
        /// shares: its value inline plus what it allocates. `nil` as above.
        public var projectionDecodedForOrderBytes: Double?

        public var json: [String: Any] {
            var json: [String: Any] = ["events": events, "profiles": profiles, "mean_event_bytes": meanEventBytes,
             "mean_profile_response_bytes": meanProfileResponseBytes,
             "event_decode_swiftprotobuf_ns": eventDecodeSwiftProtobufNs,
             "event_decode_hand_written_ns": eventDecodeHandWrittenNs,
             "event_decode_for_fold_ns": eventDecodeForFoldNs,
             "event_fold_ns": eventFoldNs,
             "event_fold_held_in_log_order_ns": eventFoldHeldInLogOrderNs,
             "event_fold_on_stored_bytes_ns": eventFoldOnStoredBytesNs,
             "event_fold_on_stored_bytes_decode_ns": eventFoldOnStoredBytesSteps.decode,
             "event_fold_on_stored_bytes_fold_ns": eventFoldOnStoredBytesSteps.fold,
             "event_fold_on_stored_bytes_encode_ns": eventFoldOnStoredBytesSteps.encode,
             "event_fold_on_stored_bytes_destroy_ns": eventFoldOnStoredBytesSteps.destroy,
             "event_fold_in_stored_bytes_ns": eventFoldInStoredBytesNs,
             "event_fold_in_stored_bytes_taken": eventFoldInStoredBytesTaken,
             "projection_decode_swiftprotobuf_ns": projectionDecodeSwiftProtobufNs,
             "projection_decode_plain_ns": projectionDecodePlainNs,
             "projection_decode_for_order_ns": projectionDecodeForOrderNs,
             "projection_encode_swiftprotobuf_ns": projectionEncodeSwiftProtobufNs,
             "projection_encode_plain_ns": projectionEncodePlainNs,
             "mean_projection_bytes": meanProjectionBytes,
             "profile_encode_swiftprotobuf_ns": profileEncodeSwiftProtobufNs,
             "profile_encode_hand_written_ns": profileEncodeHandWrittenNs,
             "profile_evaluate_ns": profileEvaluateNs]
            if let projectionDecodedBytes { json["projection_decoded_bytes"] = projectionDecodedBytes }
            if let projectionDecodedForOrderBytes { json["projection_decoded_for_order_bytes"] = projectionDecodedForOrderBytes }
            for (part, bytes) in projectionDecodedPartBytes { json["projection_decoded_bytes_\(part)"] = bytes }
            return json
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case differs(String)
        public var description: String {
            switch self { case .differs(let what): "the codecs disagree: \(what)" }
        }
    }

    /// - Parameter dumpDirectory: when given, the encoded events, projections and profile responses
    ///   measured are written there too (`events.bin`, `projections.bin`, `profiles.bin`: each record a 4-byte little-endian
    ///   length and its bytes), for another codec to be measured on exactly the same data
    ///   (`ops/bench/protobuf-c`).
    /// - Parameter liveBytes: the bytes the calling thread has allocated and not freed (the
    ///   allocator's counters), for the memory of decoded projections; `nil` leaves it out.
    public static func run(
        generator: SyntheticDataGenerator, rounds: Int = 3, dumpDirectory: String? = nil, liveBytes: (() -> Int?)? = nil
    ) throws -> Figures {
        var encodedEvents: [[UInt8]] = []
        var projections: [String: Projection] = [:]
        let fold = ProjectionFold()
        var seq: UInt64 = 0
        // The parts of its projection each event changes, for folding on stored bytes below.
        var partsOfEvent: [Projection.Parts] = []
        try generator.generate { event in
            seq += 1
            encodedEvents.append(try event.serializedBytes())
            partsOfEvent.append(ProjectionFold.parts(changedBy: event))
            fold.apply(event, seq: seq, resolution: nil, to: &projections[event.customerID, default: ProjectionFold.emptyProjection(customerID: event.customerID)])
        }
        let asOf = Instant.now
        let evaluator = ProfileEvaluator()
        let profiles = projections.values.map { evaluator.profile(of: $0, asOf: asOf) }
        let responses = profiles.map { profile in
            var response = C360_V1_GetProfileResponse()
            response.profile = C360_V1_Profile(profile)
            return response
        }
        let projectionMessages = projections.values.map(\.generatedMessage)
        let encodedProjections = try projectionMessages.map { try $0.serializedBytes() as [UInt8] }

        if let dumpDirectory {
            try dump(encodedEvents, to: dumpDirectory + "/events.bin")
            try dump(encodedProjections, to: dumpDirectory + "/projections.bin")
            try dump(profiles.map(ProfileWireEncoder.getProfileResponse), to: dumpDirectory + "/profiles.bin")
        }

        // Both codecs agree on every item before anything is timed.
        for bytes in encodedEvents where try EventWireDecoder.event(bytes) != C360_V1_Event(serializedBytes: bytes) {
            throw Failure.differs("an event of \(bytes.count) bytes")
        }
        // Folding what the fold reads, read from the bytes, gives the projections folding whole events gave.
        let foldableEvents = try encodedEvents.map { bytes in try EventWireDecoder.foldableEvent(bytes) }
        var foldedForFold: [String: Projection] = [:]
        for (index, event) in foldableEvents.enumerated() {
            fold.apply(event, seq: UInt64(index + 1), resolution: nil,
                       to: &foldedForFold[event.customerID, default: ProjectionFold.emptyProjection(customerID: event.customerID)])
        }
        for (customerID, projection) in projections where foldedForFold[customerID].map(ProjectionWireCodec.encode) != ProjectionWireCodec.encode(projection) {
            throw Failure.differs("the projection of \(customerID) folded from the fields the fold reads")
        }
        let plainProjections = Array(projections.values)
        for (plain, bytes) in zip(plainProjections, encodedProjections) where ProjectionWireCodec.encode(plain) != bytes {
            throw Failure.differs("the projection of \(plain.customerID)")
        }
        for (profile, response) in zip(profiles, responses) where ProfileWireEncoder.getProfileResponse(profile) != (try response.serializedBytes() as [UInt8]) {
            throw Failure.differs("the profile of \(profile.customerID)")
        }

        var figures = Figures()
        figures.events = encodedEvents.count
        figures.profiles = responses.count
        figures.meanEventBytes = Double(encodedEvents.reduce(0) { $0 + $1.count }) / Double(max(1, encodedEvents.count))
        figures.meanProfileResponseBytes = Double(profiles.reduce(0) { $0 + ProfileWireEncoder.getProfileResponse($1).count }) / Double(max(1, profiles.count))
        var sink = 0
        figures.eventDecodeSwiftProtobufNs = try best(rounds, items: encodedEvents.count) {
            for bytes in encodedEvents { sink &+= try C360_V1_Event(serializedBytes: bytes).eventID.utf8.count }
        }
        figures.eventDecodeHandWrittenNs = try best(rounds, items: encodedEvents.count) {
            for bytes in encodedEvents { sink &+= try EventWireDecoder.event(bytes).eventID.utf8.count }
        }
        figures.eventDecodeForFoldNs = try best(rounds, items: encodedEvents.count) {
            for bytes in encodedEvents { sink &+= try EventWireDecoder.foldableEvent(bytes).eventID.utf8.count }
        }
        // Folded in customer order, as a replay folds them (one customer's events after another's).
        let customerOrder = foldableEvents.indices.sorted { (foldableEvents[$0].customerID, $0) < (foldableEvents[$1].customerID, $1) }
        figures.eventFoldNs = try best(rounds, items: foldableEvents.count) {
            var projection = ProjectionFold.emptyProjection(customerID: "")
            for index in customerOrder {
                let event = foldableEvents[index]
                if event.customerID != projection.customerID {
                    sink &+= Int(projection.eventCount)
                    projection = ProjectionFold.emptyProjection(customerID: event.customerID)
                }
                fold.apply(event, seq: UInt64(index + 1), resolution: nil, to: &projection)
            }
            sink &+= Int(projection.eventCount)
        }
        // As the writer folds: in log order, customers interleaved; each customer's projection held
        // decoded, or held as its stored bytes and decoded in the parts the event changes, folded and
        // encoded again for each event.
        var customerNumbers: [String: Int] = [:]
        let customerOfEvent = foldableEvents.map { event in
            if let number = customerNumbers[event.customerID] { return number }
            customerNumbers[event.customerID] = customerNumbers.count
            return customerNumbers.count - 1
        }
        let emptyBytes = ProjectionWireCodec.encode(ProjectionFold.emptyProjection(customerID: ""))
        figures.eventFoldHeldInLogOrderNs = try best(rounds, items: foldableEvents.count) {
            var held = Array(repeating: ProjectionFold.emptyProjection(customerID: ""), count: customerNumbers.count)
            for (index, event) in foldableEvents.enumerated() {
                fold.apply(event, seq: UInt64(index + 1), resolution: nil, to: &held[customerOfEvent[index]])
            }
            sink &+= held.count
        }
        figures.eventFoldOnStoredBytesNs = try best(rounds, items: foldableEvents.count) {
            var held = Array(repeating: emptyBytes, count: customerNumbers.count)
            for (index, event) in foldableEvents.enumerated() {
                let customer = customerOfEvent[index]
                var projection = try ProjectionWireCodec.decode(held[customer], parts: partsOfEvent[index])
                fold.apply(event, seq: UInt64(index + 1), resolution: nil, to: &projection)
                held[customer] = ProjectionWireCodec.encode(projection)
            }
            sink &+= held.count
        }
        // The same once more with a clock around each step, for where that time goes (the clock's
        // own cost, about 20 ns a reading, is in each step's figure).
        var steps: [UInt64] = [0, 0, 0, 0]
        var heldBytes = Array(repeating: emptyBytes, count: customerNumbers.count)
        for (index, event) in foldableEvents.enumerated() {
            let customer = customerOfEvent[index]
            let start = monotonicNanoseconds()
            var projection = try ProjectionWireCodec.decode(heldBytes[customer], parts: partsOfEvent[index])
            let decoded = monotonicNanoseconds()
            fold.apply(event, seq: UInt64(index + 1), resolution: nil, to: &projection)
            let folded = monotonicNanoseconds()
            heldBytes[customer] = ProjectionWireCodec.encode(projection)
            let encoded = monotonicNanoseconds()
            projection = Projection()
            let destroyed = monotonicNanoseconds()
            steps[0] += decoded - start
            steps[1] += folded - decoded
            steps[2] += encoded - folded
            steps[3] += destroyed - encoded
        }
        // Folding on the stored bytes gives what folding decoded projections gave.
        for (customerID, number) in customerNumbers where foldedForFold[customerID].map(ProjectionWireCodec.encode) != heldBytes[number] {
            throw Failure.differs("the projection of \(customerID) folded on its stored bytes")
        }
        let eventCount = Double(max(1, foldableEvents.count))
        var taken = 0
        figures.eventFoldInStoredBytesNs = try best(rounds, items: foldableEvents.count) {
            var held = Array(repeating: emptyBytes, count: customerNumbers.count)
            taken = 0
            for (index, event) in foldableEvents.enumerated() {
                let customer = customerOfEvent[index]
                if let folded = ProjectionWireFold.folding(event, seq: UInt64(index + 1), into: held[customer], by: fold) {
                    held[customer] = folded
                    taken += 1
                    continue
                }
                var projection = try ProjectionWireCodec.decode(held[customer], parts: partsOfEvent[index])
                fold.apply(event, seq: UInt64(index + 1), resolution: nil, to: &projection)
                held[customer] = ProjectionWireCodec.encode(projection)
            }
            heldBytes = held
        }
        figures.eventFoldInStoredBytesTaken = Double(taken) / eventCount
        for (customerID, number) in customerNumbers where foldedForFold[customerID].map(ProjectionWireCodec.encode) != heldBytes[number] {
            throw Failure.differs("the projection of \(customerID) folded in its stored bytes")
        }
        figures.eventFoldOnStoredBytesSteps = (
            decode: Double(steps[0]) / eventCount, fold: Double(steps[1]) / eventCount,
            encode: Double(steps[2]) / eventCount, destroy: Double(steps[3]) / eventCount)
        figures.projectionDecodeSwiftProtobufNs = try best(rounds, items: encodedProjections.count) {
            for bytes in encodedProjections { sink &+= Int(try C360_Store_V1_Projection(serializedBytes: bytes).seq) }
        }
        figures.meanProjectionBytes = Double(encodedProjections.reduce(0) { $0 + $1.count }) / Double(max(1, encodedProjections.count))
        figures.projectionDecodePlainNs = try best(rounds, items: encodedProjections.count) {
            for bytes in encodedProjections { sink &+= Int(try ProjectionWireCodec.decode(bytes).seq) }
        }
        figures.projectionDecodeForOrderNs = try best(rounds, items: encodedProjections.count) {
            for bytes in encodedProjections { sink &+= Int(try ProjectionWireCodec.decode(bytes, parts: Self.orderParts).seq) }
        }
        figures.projectionEncodeSwiftProtobufNs = try best(rounds, items: projectionMessages.count) {
            for projection in projectionMessages { sink &+= (try projection.serializedBytes() as [UInt8]).count }
        }
        figures.projectionEncodePlainNs = try best(rounds, items: plainProjections.count) {
            for projection in plainProjections { sink &+= ProjectionWireCodec.encode(projection).count }
        }
        figures.profileEncodeSwiftProtobufNs = try best(rounds, items: responses.count) {
            for response in responses { sink &+= (try response.serializedBytes() as [UInt8]).count }
        }
        figures.profileEncodeHandWrittenNs = try best(rounds, items: profiles.count) {
            for profile in profiles { sink &+= ProfileWireEncoder.getProfileResponse(profile).count }
        }
        figures.profileEvaluateNs = try best(rounds, items: plainProjections.count) {
            for projection in plainProjections { sink &+= Int(evaluator.profile(of: projection, asOf: asOf).eventCount) }
        }
        if sink == 42 { print("") }  // keeps the work from being optimised away
        if let liveBytes, let allocated = try allocatedWhenDecoded(encodedProjections, liveBytes: liveBytes) {
            figures.projectionDecodedBytes = Double(MemoryLayout<Projection>.stride) + allocated
            if let forOrder = try allocatedWhenDecoded(encodedProjections, parts: Self.orderParts, liveBytes: liveBytes) {
                figures.projectionDecodedForOrderBytes = Double(MemoryLayout<Projection>.stride) + forOrder
            }
            for (part, keepingOnly) in parts {
                let encodedParts = plainProjections.map { ProjectionWireCodec.encode(keepingOnly($0)) }
                figures.projectionDecodedPartBytes[part] = try allocatedWhenDecoded(encodedParts, liveBytes: liveBytes)
            }
        }
        return figures
    }

    /// The parts folding an order placement changes.
    private static let orderParts: Projection.Parts = {
        var order = C360_V1_Event()
        order.orderPlaced = C360_V1_OrderPlaced()
        return ProjectionFold.parts(changedBy: order)
    }()

    /// The top-level parts of a projection, each with a function that keeps only that part.
    private static let parts: [(String, @Sendable (Projection) -> Projection)] = [
        ("details", keeping(\.detailsIfPresent, as: \.details)),
        ("orders", keeping(\.ordersIfPresent, as: \.orders)),
        ("web", keeping(\.webIfPresent, as: \.web)),
        ("email", keeping(\.emailIfPresent, as: \.email)),
        ("support", keeping(\.supportIfPresent, as: \.support)),
        ("identities", { source in
            var part = Projection()
            part.identities = source.identities
            part.identityConflicts = source.identityConflicts
            return part
        }),
        ("days", { source in var part = Projection(); part.days = source.days; return part }),
    ]

    /// A projection holding only one optional part of `source`, when present.
    private static func keeping<Part>(
        _ present: any KeyPath<Projection, Part?> & Sendable, as part: any WritableKeyPath<Projection, Part> & Sendable
    ) -> @Sendable (Projection) -> Projection {
        { source in
            var kept = Projection()
            if let value = source[keyPath: present] { kept[keyPath: part] = value }
            return kept
        }
    }

    /// Bytes allocated and kept per projection by decoding `encoded` and holding every result, mean;
    /// `nil` when `liveBytes` cannot say. The array holding them is allocated before counting.
    /// `parts`: those decoded, the others left in the bytes of `encoded` (not counted: they are shared).
    private static func allocatedWhenDecoded(_ encoded: [[UInt8]], parts: Projection.Parts = .all, liveBytes: () -> Int?) throws -> Double? {
        var held: [Projection] = []
        held.reserveCapacity(encoded.count)
        guard let before = liveBytes() else { return nil }
        for bytes in encoded { held.append(try ProjectionWireCodec.decode(bytes, parts: parts)) }
        guard let after = liveBytes() else { return nil }
        return withExtendedLifetime(held) { Double(after - before) / Double(max(1, encoded.count)) }
    }

    private static func dump(_ records: [[UInt8]], to path: String) throws {
        var bytes: [UInt8] = []
        for record in records {
            withUnsafeBytes(of: UInt32(record.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: record)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func best(_ rounds: Int, items: Int, _ body: () throws -> Void) throws -> Double {
        var best = UInt64.max
        for _ in 0..<max(1, rounds) {
            let start = monotonicNanoseconds()
            try body()
            best = min(best, monotonicNanoseconds() - start)
        }
        return Double(best) / Double(max(1, items))
    }
}
