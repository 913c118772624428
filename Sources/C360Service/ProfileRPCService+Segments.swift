import C360Core
package import C360Model
import C360Store
import Foundation
import GRPCCore
import CoreMetrics

extension ProfileRPCService {
    package func listSegment(_ request: C360_V1_ListSegmentRequest) throws -> C360_V1_ListSegmentResponse {
        guard !request.segment.isEmpty else { throw C360Error.invalid("segment", "is required") }
        guard request.pageSize >= 0 else { throw C360Error.invalid("page_size", "must not be negative") }
        guard request.pageSize <= limits.maxSegmentPage else {
            throw C360Error(.resourceExhausted, "page_size is at most \(limits.maxSegmentPage)", field: "page_size")
        }
        let after = try SegmentTokens.decodePage(request.pageToken)
        let page = try store.segmentMembers(request.segment, after: after, limit: request.pageSize == 0 ? 1_000 : Int(request.pageSize))
        var response = C360_V1_ListSegmentResponse()
        response.customerIds = page.customerIDs
        response.nextPageToken = page.next.map(SegmentTokens.encodePage) ?? ""
        response.evaluatedDay = store.segmentDay.description
        return response
    }

    /// `WatchSegment` for any transport: writes each event with `write` until the task is cancelled.
    package func watchSegment(
        _ request: C360_V1_WatchSegmentRequest, write: @escaping @Sendable (C360_V1_SegmentEvent) async throws -> Void
    ) async throws {
        guard !request.segment.isEmpty else { throw C360Error.invalid("segment", "is required") }
        let resume = try SegmentTokens.decodeResume(request.resumeToken)
        try store.requireSegment(request.segment)
        // Subscribe before listing members, so that nothing committed in between is missed
        // (a change can then arrive twice: ENTER for a member just listed, which is harmless).
        ServiceMetrics.segmentWatchers.increment()
        defer { ServiceMetrics.segmentWatchers.decrement() }
        let subscription = store.segmentChanges.subscribe(segment: request.segment, resumingAfter: resume)
        let epoch = store.segmentChanges.epoch
        var lastPosition: UInt64 = 0
        if let backlog = subscription.backlog {
            lastPosition = resume?.position ?? 0
            for change in backlog {
                try await write(Self.event(change, epoch: epoch))
                lastPosition = change.position
            }
        } else {
            var after: UInt64?
            repeat {
                let page = try store.segmentMembers(request.segment, after: after, limit: 1_000)
                for customerID in page.customerIDs {
                    var member = C360_V1_SegmentEvent()
                    member.kind = .member
                    member.segment = request.segment
                    member.customerID = customerID
                    try await write(member)
                }
                after = page.next
            } while after != nil
            var synced = C360_V1_SegmentEvent()
            synced.kind = .synced
            synced.segment = request.segment
            synced.seq = store.changes.lastSeq
            synced.resumeToken = SegmentTokens.encodeResume(epoch: epoch, position: 0)
            try await write(synced)
        }
        let stream = subscription.stream
        let listedUpTo = lastPosition
        do {
            for try await change in stream where change.position > listedUpTo {
                try await write(Self.event(change, epoch: epoch))
            }
        } catch is ChangeFeed.SubscriberTooSlow {
            throw RPCError(code: .resourceExhausted, message: "the watch fell too far behind; reconnect with the last resume_token received")
        }
    }

    static func event(_ change: SegmentChange, epoch: UInt64) -> C360_V1_SegmentEvent {
        var event = C360_V1_SegmentEvent()
        event.kind = change.kind == .enter ? .enter : .leave
        event.segment = change.segment
        event.customerID = change.customerID
        event.seq = change.seq
        event.resumeToken = SegmentTokens.encodeResume(epoch: epoch, position: change.position)
        return event
    }
}

/// Opaque tokens of the segment RPCs, base64 so that clients treat them as opaque.
enum SegmentTokens {
    static func encodePage(_ subject: UInt64) -> String { Data("after:\(subject)".utf8).base64EncodedString() }

    static func decodePage(_ token: String) throws(C360Error) -> UInt64? {
        if token.isEmpty { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), text.hasPrefix("after:"),
              let subject = UInt64(text.dropFirst(6)) else {
            throw C360Error.invalid("page_token", "is not a token this server issued")
        }
        return subject
    }

    static func encodeResume(epoch: UInt64, position: UInt64) -> String { Data("segment:\(epoch):\(position)".utf8).base64EncodedString() }

    static func decodeResume(_ token: String) throws(C360Error) -> (epoch: UInt64, position: UInt64)? {
        if token.isEmpty { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else {
            throw C360Error.invalid("resume_token", "is not a token this server issued")
        }
        let parts = text.split(separator: ":")
        guard parts.count == 3, parts[0] == "segment", let epoch = UInt64(parts[1]), let position = UInt64(parts[2]) else {
            throw C360Error.invalid("resume_token", "is not a token this server issued")
        }
        return (epoch, position)
    }
}
