import C360Codec
import C360Core
import C360Generator
public import C360Mapping
import C360Model
import C360Service
import C360Store
import Dispatch
import Foundation
import SwiftProtobuf

/// What the fuzzers run on each input, shared by the libFuzzer executables
/// (`c360-fuzz-ndjson`, `c360-fuzz-rpc`) and the regression tests that replay the corpus and every
/// input a fuzzer once crashed on. An input may be rejected with any error; it must never crash.
public enum FuzzTargets {
    /// One NDJSON line, as `c360 ingest` reads it: decoded and validated; an accepted event must
    /// encode to binary and JSON and decode back to itself.
    public static func ndjson(_ bytes: [UInt8]) {
        let decoder = EventJSONDecoder(validator: EventValidator())
        guard let event = try? decoder.decode(line: bytes) else { return }
        let binary: [UInt8] = try! event.serializedBytes()
        precondition((try? C360_V1_Event(serializedBytes: binary)) == event, "an accepted event does not survive binary encoding")
        let json: [UInt8] = try! event.jsonUTF8Bytes()
        precondition((try? C360_V1_Event(jsonUTF8Bytes: json)) == event, "an accepted event does not survive JSON encoding")
    }

    /// One line as another system's record, as `c360 ingest --mapping` reads it: as JSON and as a
    /// CSV row, then through a mapping that reads many kinds of value from it. Refused or mapped,
    /// never a crash; what the mapping makes is a valid event.
    public static func mappedRecord(_ bytes: [UInt8]) {
        var csv = CSVRecords()
        _ = try? csv.take(line: Array("id,email,total,currency,created_at,items".utf8))
        let records = [try? RecordValue.json(bytes), try? csv.take(line: bytes)].compactMap { $0 }
        for record in records {
            guard let events = try? recordMapping.events(from: record, metadata: ["_line": "1"]) else { continue }
            for event in events {
                precondition((try? EventValidator().validate(event)) != nil, "a mapping made an event that is not valid")
            }
        }
    }

    /// A mapping using every kind of value: templates, tables, money, timestamps, lists.
    public static let recordMapping: Mapping = {
        let yaml = """
            mapping: fuzz
            time_zone: Europe/London
            rules:
              - name: skipped
                when: {kind: skip}
                skip: asked to
              - name: order
                when: {id: {present: true}}
                event:
                  event_id: "fuzz:{id}"
                  customer_id: "c-{customer.id}"
                  identities:
                    - {type: IDENTITY_TYPE_EMAIL, value: {field: email, default: "x@example.com"}}
                  occurred_at: {field: created_at}
                  source: fuzz
                  order_placed:
                    order_id: "{id}"
                    channel: {field: channel, values: {web: ORDER_CHANNEL_ONLINE}, otherwise: ORDER_CHANNEL_MARKETPLACE, optional: true}
                    total: {amount: "{total}", currency: "{currency}"}
                    items:
                      each: items
                      item:
                        product_id: "{item.sku}"
                        quantity: {field: item.qty, default: "1"}
                        unit_price: {amount: "{item.price}", currency: "{currency}"}
            """
        // Checked by the mapping tests: it is valid.
        return try! Mapping(yaml: yaml)
    }()

    /// The hand-written codecs beside SwiftProtobuf: the first byte picks the message (modulo 3:
    /// a stored event, an `AppendEventsRequest`, a stored projection), the rest is its bytes. Both
    /// decoders must refuse the same inputs and read the same message from the others; what the
    /// fold reads of an event, read from its bytes, is what it reads of the message; a projection read is written back as the
    /// bytes SwiftProtobuf writes for it.
    public static func codec(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let message = Array(bytes.dropFirst())
        switch selector % 3 {
        case 0:
            let reference = try? C360_V1_Event(serializedBytes: message)
            precondition((try? EventWireDecoder.event(message)) == reference, "the event decoders disagree")
            // What the fold reads, read from the bytes, is what it reads of the message.
            let foldable = try? EventWireDecoder.foldableEvent(message)
            if let reference {
                precondition(foldable == FoldableEvent(reference), "the foldable event differs from the message's")
            }
            // Validation takes any event without trapping, and the fold any event it accepts
            // (the fold's arithmetic relies on validation).
            if let reference, let foldable, (try? EventValidator().validate(reference)) != nil {
                var projection = ProjectionFold.emptyProjection(customerID: "")
                ProjectionFold().apply(foldable, seq: 1, resolution: nil, to: &projection)
                _ = ProjectionWireCodec.encode(projection)
            }
        case 1:
            let reference = try? C360_V1_AppendEventsRequest(serializedBytes: message)
            precondition((try? EventWireDecoder.appendEventsRequest(message)) == reference, "the request decoders disagree")
            // The bytes kept with each event (what an append stores) decode to that event.
            let kept = try? message.withUnsafeBytes { try EventWireDecoder.appendEventsKeepingBytes($0) }
            precondition(kept?.events == reference?.events, "the request decoders disagree on the events")
            for (event, bytes) in zip(kept?.events ?? [], kept?.encoded ?? []) {
                precondition((try? C360_V1_Event(serializedBytes: bytes)) == event, "an event's kept bytes decode to another event")
            }
        default:
            let reference = try? C360_Store_V1_Projection(serializedBytes: message)
            let decoded = try? ProjectionWireCodec.decode(message)
            precondition((decoded == nil) == (reference == nil), "the projection decoders disagree on whether the bytes are valid")
            if let decoded, let reference {
                // The plain projection keeps no unknown fields of its own; the c360.v1 messages inside it do.
                precondition(decoded == Projection(reference), "the projection decoders read different projections")
                precondition(ProjectionWireCodec.encode(decoded) == (try? decoded.generatedMessage.serializedBytes()),
                             "the projection encoders disagree")
            }
        }
    }

    /// The RPCs a fuzzer drives: the first byte picks one, the rest is its request message.
    public enum Method: UInt8, CaseIterable, Sendable {
        case getProfile, batchGetProfiles, getTimeline, appendEvents, appendEventStream, eraseCustomer, listSegment, watchProfiles
    }

    /// A real store in a temporary directory, with some customers in it, and the API over it.
    public final class RPCHarness: Sendable {
        let store: EventStore
        let service: ProfileRPCService
        let directory: String

        public init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("c360-fuzz-\(UUID().uuidString)").path
            var configuration = StoreConfiguration()
            configuration.segments = Segment.examples
            // Erasing is slow when each one searches every file; the proof is tested elsewhere.
            configuration.verifyErasure = false
            store = try EventStore(directory: directory, configuration: configuration)
            var events: [C360_V1_Event] = []
            SyntheticDataGenerator(customers: 50, events: 1_000, seed: 3).generate { events.append($0) }
            let seed = events
            let store = self.store
            Blocker().run { _ = await store.append(seed) }
            var limits = APILimits()
            limits.maxMinSeqWaitSeconds = 0
            service = ProfileRPCService(store: store, limits: limits)
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Runs one input: decodes the request the first byte names and serves it. Errors are
        /// answers; only a crash is a finding.
        public func handle(_ bytes: [UInt8]) {
            guard let first = bytes.first, let method = Method(rawValue: first % UInt8(Method.allCases.count)) else { return }
            let message = Array(bytes.dropFirst())
            let service = self.service
            Blocker().run {
                do {
                    switch method {
                    case .getProfile:
                        _ = try await service.getProfile(C360_V1_GetProfileRequest(serializedBytes: message))
                    case .batchGetProfiles:
                        _ = try await service.batchGetProfiles(C360_V1_BatchGetProfilesRequest(serializedBytes: message))
                    case .getTimeline:
                        _ = try service.getTimeline(C360_V1_GetTimelineRequest(serializedBytes: message))
                    case .appendEvents:
                        _ = try await service.appendEvents(C360_V1_AppendEventsRequest(serializedBytes: message))
                    case .appendEventStream:
                        let request = try C360_V1_AppendEventsRequest(serializedBytes: message)
                        let stream = AsyncThrowingStream<C360_V1_AppendEventsRequest, any Error> { continuation in
                            continuation.yield(request)
                            continuation.yield(request)
                            continuation.finish()
                        }
                        _ = try await service.appendEventStream(stream)
                    case .eraseCustomer:
                        _ = try await service.eraseCustomer(C360_V1_EraseCustomerRequest(serializedBytes: message), peer: "fuzz")
                    case .listSegment:
                        _ = try service.listSegment(C360_V1_ListSegmentRequest(serializedBytes: message))
                    case .watchProfiles:
                        // A watch never ends by itself: its history part is what the input drives.
                        var request = try C360_V1_WatchProfilesRequest(serializedBytes: message)
                        if request.afterSeq == 0 { request.afterSeq = 1 }
                        let watch = Task {
                            try await service.watchProfiles(request) { _ in }
                        }
                        try await Task.sleep(for: .milliseconds(1))
                        watch.cancel()
                        _ = await watch.result
                    }
                } catch {
                    // An error is an answer.
                }
            }
        }
    }
}

/// Runs async work to completion from synchronous code (libFuzzer calls in on its own thread).
private final class Blocker: Sendable {
    func run(_ body: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await body()
            done.signal()
        }
        done.wait()
    }
}
