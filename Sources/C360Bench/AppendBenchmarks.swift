import C360API
public import C360Generator
import C360Model
import C360Service
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Synchronization
import SwiftProtobuf

/// What an append benchmark measured.
public struct AppendFigures: Sendable {
    public var events = 0
    public var appended = 0
    public var duplicates = 0
    public var rejected = 0
    public var calls = 0
    public var failedCalls = 0
    public var seconds = 0.0
    public var latency = LatencySamples()
    public var firstError: String?

    public var eventsPerSecond: Double { seconds > 0 ? Double(appended + duplicates) / seconds : 0 }

    mutating func merge(_ other: AppendFigures) {
        events += other.events
        appended += other.appended
        duplicates += other.duplicates
        rejected += other.rejected
        calls += other.calls
        failedCalls += other.failedCalls
        latency.append(contentsOf: other.latency)
        firstError = firstError ?? other.firstError
    }

    /// One `AppendEvents` call of a request serialized beforehand, counted and timed from sending
    /// to acknowledgement.
    mutating func append(_ request: EncodedAppendRequest, to client: GRPCClient<HTTP2ClientTransport.Posix>) async {
        events += request.events
        calls += 1
        let sent = monotonicNanoseconds()
        do {
            let response = try await client.unary(
                request: ClientRequest(message: request.bytes),
                descriptor: C360_V1_ProfileService.Method.AppendEvents.descriptor,
                serializer: EncodedMessageSerializer(),
                deserializer: ProtobufDeserializer<C360_V1_AppendEventsResponse>(),
                options: .defaults
            ) { try $0.message }
            count(response)
            latency.record(monotonicNanoseconds() - sent)
        } catch {
            failedCalls += 1
            firstError = firstError ?? "\(error)"
        }
    }

    mutating func count(_ response: C360_V1_AppendEventsResponse) {
        for result in response.results {
            switch result.result {
            case .seq: appended += 1
            case .duplicateOfSeq: duplicates += 1
            case .error(let error):
                rejected += 1
                if firstError == nil { firstError = "\(error.code): \(error.field): \(error.reason)" }
            case nil: rejected += 1
            }
        }
    }

    public var json: [String: Any] {
        var figures: [String: Any] = [
            "events": events, "appended": appended, "duplicates": duplicates, "rejected": rejected,
            "calls": calls, "failed_calls": failedCalls, "seconds": seconds, "events_per_second": eventsPerSecond,
        ]
        for (key, value) in latency.summary { figures["ack_" + key] = value }
        if let firstError { figures["first_error"] = firstError }
        return figures
    }
}

/// Appends through a running server's `AppendEvents`, as a client would.
public enum AppendBenchmarks {
    /// Bulk ingest: the generated data set in batches of `batchSize`, `inFlight` batches at a time
    /// on one connection; each batch counts when the server has acknowledged it durably.
    public static func bulkIngest(
        host: String, port: Int, generator: SyntheticDataGenerator, batchSize: Int, inFlight: Int
    ) async throws -> AppendFigures {
        var requests: [C360_V1_AppendEventsRequest] = []
        var request = C360_V1_AppendEventsRequest()
        generator.generate { event in
            request.events.append(event)
            if request.events.count == batchSize {
                requests.append(request)
                request = C360_V1_AppendEventsRequest()
            }
        }
        if !request.events.isEmpty { requests.append(request) }
        // Serialized before the clock starts, as PostgreSQL's batches are written out before its
        // load: encoding 1,000 events a call during the measurement took the load generator about
        // a microsecond per event of the two cores it shares with the server.
        let batches = try requests.map { EncodedAppendRequest(bytes: try $0.serializedBytes(), events: $0.events.count) }
        requests = []
        let next = BatchCounter()
        return try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: host, port: port), transportSecurity: .plaintext)
        ) { client in
            let start = monotonicNanoseconds()
            var total = try await withThrowingTaskGroup(of: AppendFigures.self) { group in
                for _ in 0..<max(1, inFlight) {
                    group.addTask {
                        var figures = AppendFigures()
                        while true {
                            let index = next.take()
                            guard index < batches.count else { break }
                            await figures.append(batches[index], to: client)
                        }
                        return figures
                    }
                }
                var total = AppendFigures()
                for try await figures in group { total.merge(figures) }
                return total
            }
            total.seconds = Double(monotonicNanoseconds() - start) / 1e9
            return total
        }
    }

    /// A page view by `customer`, now.
    static func webEvent(id: String, customer: Int) -> C360_V1_Event {
        var event = C360_V1_Event()
        event.eventID = id
        event.customerID = SyntheticDataGenerator.customerID(customer)
        event.source = "bench"
        event.occurredAt = .init(date: .now)
        var web = C360_V1_WebEvent()
        web.sessionID = "bench-session-\(customer)"
        web.type = .pageView
        web.page = "/bench"
        event.webEvent = web
        return event
    }

    static func withClient<Result: Sendable>(
        host: String, port: Int, _ body: @Sendable (C360_V1_ProfileService.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: host, port: port), transportSecurity: .plaintext)
        ) { client in
            try await body(C360_V1_ProfileService.Client(wrapping: client))
        }
    }
}

/// Hands out batch numbers to concurrent senders, each once.
final class BatchCounter: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

/// An `AppendEvents` request as it goes on the wire, with the number of events it carries.
struct EncodedAppendRequest: Sendable {
    let bytes: [UInt8]
    let events: Int
}

/// Sends a message that is already serialized as it is.
private struct EncodedMessageSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }
}
