import C360Generator
import C360Model
public import Foundation
public import NIOCore
import SwiftProtobuf

/// The request bodies of c360's RPCs for the load generator, encoded before the run.
public enum LoadRequests {
    public static let getProfilePath = "/c360.v1.ProfileService/GetProfile"
    public static let appendEventsPath = "/c360.v1.ProfileService/AppendEvents"

    /// A `GetProfileRequest` for each of `cust_1` … `cust_N`: lookups over random customers of the
    /// whole data set, as pgbench picks its rows.
    public static func getProfile(customers: Int) throws -> RequestBodies {
        var bodies: [ByteBuffer] = []
        bodies.reserveCapacity(customers)
        for customer in 1...max(1, customers) {
            var request = C360_V1_GetProfileRequest()
            request.customerID = SyntheticDataGenerator.customerID(customer)
            bodies.append(RequestBodies.framed(try request.serializedBytes()))
        }
        return RequestBodies(choices: bodies)
    }

    /// An `AppendEventsRequest` of one new page view for each of `cust_1` … `cust_N`, its event id
    /// `load-<run>-<16 hex digits>` numbered by the load generator, so that every request appends
    /// a new event.
    public static func appendEvents(customers: Int, runID: String, occurredAt: Date = .now) throws -> RequestBodies {
        var bodies: [ByteBuffer] = [], offsets: [Int] = []
        bodies.reserveCapacity(customers)
        offsets.reserveCapacity(customers)
        for customer in 1...max(1, customers) {
            var event = C360_V1_Event()
            event.eventID = "load-\(runID)-\(RequestBodies.numberPlaceholder)"
            event.customerID = SyntheticDataGenerator.customerID(customer)
            event.source = "bench"
            event.occurredAt = .init(date: occurredAt)
            var web = C360_V1_WebEvent()
            web.sessionID = "bench-session-\(customer)"
            web.type = .pageView
            web.page = "/bench"
            event.webEvent = web
            var request = C360_V1_AppendEventsRequest()
            request.events = [event]
            let body = RequestBodies.framed(try request.serializedBytes())
            guard let offset = RequestBodies.placeholderOffset(in: body) else {
                throw CocoaError(.coderInvalidValue)
            }
            bodies.append(body)
            offsets.append(offset)
        }
        return RequestBodies(choices: bodies, numberOffsets: offsets)
    }

    /// Counts an `AppendEventsResponse`'s results: appended, duplicates, rejected; `unreadable`
    /// when the body is not one.
    @Sendable public static func countAppendResults(_ body: ByteBuffer, _ counts: inout [String: Int]) {
        var body = body
        guard body.readInteger(as: UInt8.self) == 0, let length = body.readInteger(as: UInt32.self),
              let bytes = body.readBytes(length: Int(length)),
              let response = try? C360_V1_AppendEventsResponse(serializedBytes: bytes)
        else {
            counts["unreadable", default: 0] += 1
            return
        }
        for result in response.results {
            switch result.result {
            case .seq: counts["appended", default: 0] += 1
            case .duplicateOfSeq: counts["duplicates", default: 0] += 1
            case .error, nil: counts["rejected", default: 0] += 1
            }
        }
    }
}
