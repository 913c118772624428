import C360API
import C360Generator
import C360Model
import GRPCCore
import GRPCNIOTransportHTTP2
import C360Service

/// Freshness: how long after an append is acknowledged its change arrives on `WatchProfiles`.
public enum FreshnessBenchmark {
    public struct Figures: Sendable {
        /// From the append's acknowledgement to the change's arrival; 0 when the change came first.
        public var afterAck = LatencySamples()
        /// From sending the append to the change's arrival.
        public var afterSend = LatencySamples()
        public var missing = 0

        public var json: [String: Any] {
            var figures: [String: Any] = ["samples": afterAck.count, "missing": missing]
            for (key, value) in afterAck.summary { figures[key] = value }
            for (key, value) in afterSend.summary { figures["from_send_" + key] = value }
            return figures
        }
    }

    /// Watches customer `customer`, then appends `samples` events for it one at a time, each after
    /// the previous change arrived, and times each change's arrival.
    public static func run(host: String, port: Int, customer: Int, samples: Int, runID: String) async throws -> Figures {
        let customerID = SyntheticDataGenerator.customerID(customer)
        let (arrivals, arrived) = AsyncStream.makeStream(of: (seq: UInt64, time: UInt64).self)
        return try await AppendBenchmarks.withClient(host: host, port: port) { service in
            // Changes after this append reach the watch even if it is set up after them.
            var first = C360_V1_AppendEventsRequest()
            first.events = [AppendBenchmarks.webEvent(id: "fresh-\(runID)-0", customer: customer)]
            let startSeq = try await service.appendEvents(first).lastSeq
            return try await withThrowingTaskGroup(of: Void.self) { group in
                var watch = C360_V1_WatchProfilesRequest()
                watch.customerIds = [customerID]
                watch.afterSeq = startSeq
                group.addTask {
                    try await service.watchProfiles(watch) { response in
                        for try await change in response.messages {
                            arrived.yield((change.seq, monotonicNanoseconds()))
                        }
                    }
                    arrived.finish()
                }
                var changes = arrivals.makeAsyncIterator()
                var figures = Figures()
                for n in 1...max(1, samples) {
                    var request = C360_V1_AppendEventsRequest()
                    request.events = [AppendBenchmarks.webEvent(id: "fresh-\(runID)-\(n)", customer: customer)]
                    let sent = monotonicNanoseconds()
                    let response = try await service.appendEvents(request)
                    let acknowledged = monotonicNanoseconds()
                    var arrival: UInt64?
                    while let change = await changes.next() {
                        if change.seq >= response.lastSeq {
                            arrival = change.time
                            break
                        }
                    }
                    guard let arrival else {
                        figures.missing += 1
                        break
                    }
                    figures.afterAck.record(arrival > acknowledged ? arrival - acknowledged : 0)
                    figures.afterSend.record(arrival - sent)
                }
                group.cancelAll()
                return figures
            }
        }
    }
}
