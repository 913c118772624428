public import C360Core
import C360Model

/// Folds the events that change a projection's small parts — web events and email events, three
/// in four of the default data set's — into its stored bytes, without decoding the rest: the
/// parts they do not change are copied as bytes, the one they change is decoded into a value with
/// no arrays (the web state, the email state, one day bucket) and written again. The decisions are
/// `ProjectionFold`'s own (`record`, `count`, `placement`, `applyEmail`, `applyHeader`); what this
/// adds is only where the bytes go, and the result is byte for byte what encoding the decoded fold's
/// projection gives (`ProjectionWireFoldTests`).
///
/// Folding into a decoded projection held as bytes decoded the parts an event changes, the day
/// buckets among them (an array of up to 90), and encoded them again: 2.5 µs for a web event
/// (`c360 bench codec`), most of it allocating, copying and freeing what this leaves in place.
public enum ProjectionWireFold {
    /// Whether `folding` takes events like `event` (it may still decline a projection's bytes): web
    /// events but errors, and email events.
    public static func takes(_ event: FoldableEvent) -> Bool {
        switch event.payload {
        case .webEvent(let web): web.type != .error
        case .emailEvent: true
        default: false
        }
    }

    /// `projection` (stored bytes) with `event` folded in at `seq` as `fold` folds it, or `nil`
    /// when this fold does not take it: another payload, a web error (its list of errors), a day
    /// bucket that is not the last or a new last one, bytes laid out otherwise than c360 writes
    /// them, or malformed bytes (the decoded fold reports those). The event must come with no
    /// identity resolution.
    public static func folding(_ event: FoldableEvent, seq: UInt64, into projection: [UInt8], by fold: ProjectionFold) -> [UInt8]? {
        switch event.payload {
        case .webEvent(let web) where web.type != .error:
            projection.withUnsafeBytes { raw -> [UInt8]? in foldingWeb(web, of: event, seq: seq, into: raw, by: fold) }
        case .emailEvent(let type):
            projection.withUnsafeBytes { raw -> [UInt8]? in foldingEmail(type, of: event, seq: seq, into: raw, by: fold) }
        default:
            nil
        }
    }

    private static func foldingEmail(
        _ type: C360_V1_EmailEventType, of event: FoldableEvent, seq: UInt64, into raw: UnsafeRawBufferPointer, by fold: ProjectionFold
    ) -> [UInt8]? {
        guard let layout = try? Layout(raw) else { return nil }
        var email = Projection.Email()
        if let range = layout.payload(of: .email) {
            guard Self.read(raw[range], into: &email, by: { (reader, value) throws(ProtobufWireError) in try ProjectionWireCodec.read(&reader, into: &value) }) else { return nil }
        }
        fold.applyEmail(type, at: event.occurredAt, to: &email)
        var writer = layout.writingHeader(of: event, seq: seq, from: raw)
        layout.copy([.details, .orders, .web], from: raw, to: &writer)
        let message = writer.beginMessage(9)
        ProjectionWireCodec.write(email, to: &writer)
        writer.endMessage(message)
        layout.copy([.support, .identities, .identityConflicts, .days], from: raw, to: &writer)
        return writer.finish()
    }

    private static func foldingWeb(
        _ web: FoldableEvent.Web, of event: FoldableEvent, seq: UInt64, into raw: UnsafeRawBufferPointer, by fold: ProjectionFold
    ) -> [UInt8]? {
        guard let layout = try? Layout(raw) else { return nil }
        var state = Projection.Web()
        if let range = layout.payload(of: .web) {
            guard Self.read(raw[range], into: &state, by: { (reader, value) throws(ProtobufWireError) in try ProjectionWireCodec.read(&reader, into: &value) }) else { return nil }
        }
        var last: Projection.DayBucket?
        if let days = layout.days {
            var bucket = Projection.DayBucket()
            guard Self.read(raw[days.lastPayload], into: &bucket, by: { (reader, value) throws(ProtobufWireError) in try ProjectionWireCodec.read(&reader, into: &value) }) else { return nil }
            last = bucket
        }
        let day = ProjectionFold.day(of: event.occurredAt)
        let placement = fold.placement(ofDay: day, lastDay: last?.day)
        if placement == .elsewhere { return nil }

        let newSession = ProjectionFold.startsSession(web, after: state.lastSessionID)
        fold.record(web, newSession: newSession, atMicros: event.occurredAt.microsecondsSinceEpoch, in: &state)
        var writer = layout.writingHeader(of: event, seq: seq, from: raw)
        layout.copy([.details, .orders], from: raw, to: &writer)
        let message = writer.beginMessage(8)
        ProjectionWireCodec.write(state, to: &writer)
        writer.endMessage(message)
        layout.copy([.email, .support, .identities, .identityConflicts], from: raw, to: &writer)
        var bucket: Projection.DayBucket
        switch placement {
        case .last:
            // Every bucket but the last as it is, then the last one changed.
            bucket = last!
            writer.raw(layout.bytes(raw, layout.days!.whole.lowerBound..<layout.days!.lastField))
        case .appended:
            bucket = Projection.DayBucket()
            bucket.day = day
            if let days = layout.days {
                guard let kept = Self.firstKept(since: fold.oldestDayKept(newest: day), in: raw, days.whole) else { return nil }
                writer.raw(layout.bytes(raw, kept..<days.whole.upperBound))
            }
        case .dropped, .elsewhere:
            layout.copy([.days], from: raw, to: &writer)
            return writer.finish()
        }
        ProjectionFold.count(web, newSession: newSession, in: &bucket)
        let element = writer.beginMessage(13)
        ProjectionWireCodec.write(bucket, to: &writer)
        writer.endMessage(element)
        return writer.finish()
    }

    /// Reads a message's own bytes into `value` with `read`; `false` when they are malformed.
    private static func read<Value>(
        _ message: Slice<UnsafeRawBufferPointer>, into value: inout Value,
        by read: (inout ProtobufWireReader, inout Value) throws(ProtobufWireError) -> Void
    ) -> Bool {
        var reader = ProtobufWireReader(UnsafeRawBufferPointer(rebasing: message))
        do {
            try read(&reader, &value)
            return true
        } catch {
            return false
        }
    }

    /// Where the first bucket of day `oldestKept` or later starts in the run of buckets `run` (its
    /// end when there is none): those before it are dropped. `nil` for malformed bytes.
    private static func firstKept(since oldestKept: Int32, in raw: UnsafeRawBufferPointer, _ run: Range<Int>) -> Int? {
        var reader = ProtobufWireReader(UnsafeRawBufferPointer(rebasing: raw[run]))
        while true {
            let elementStart = reader.offset
            // `try?` would read the end of the run as malformed bytes: both are `nil` through it.
            let field: (number: Int, wireType: ProtobufWireReader.WireType)?
            do { field = try reader.nextField() } catch { return nil }
            guard field != nil else { return run.upperBound }
            var bucket = Projection.DayBucket()
            guard var nested = try? reader.nested(), (try? ProjectionWireCodec.read(&nested, into: &bucket)) != nil else { return nil }
            if bucket.day >= oldestKept { return run.lowerBound + elementStart }
        }
    }

    /// Where each field of a stored projection is, as c360 writes them: the header's values, each
    /// part's fields (key included) as one range, in field order, nothing else.
    private struct Layout {
        var version: UInt64 = 0
        var seq: UInt64 = 0
        var customerID = ""
        var eventCount: UInt64 = 0
        /// Each part's fields, by `Projection.Parts.index`; empty for a part not there.
        var parts = InlineArray<8, Range<Int>>(repeating: 0..<0)
        /// The day buckets' run: the whole of it, where its last element's key starts, and the
        /// last element's own bytes.
        var days: (whole: Range<Int>, lastField: Int, lastPayload: Range<Int>)?
        /// The singular parts' payloads (their message's own bytes), by `Projection.Parts.index`.
        private var payloads = InlineArray<8, Range<Int>>(repeating: 0..<0)

        /// Fails (`LayoutError`) on fields out of order, repeated where c360 writes one, unknown,
        /// or with another wire type than c360 writes: those bytes go to the decoded fold.
        init(_ raw: UnsafeRawBufferPointer) throws {
            var reader = ProtobufWireReader(raw)
            var lastNumber = 0
            fields: while true {
                let fieldStart = reader.offset
                guard let (number, wireType) = try reader.nextField() else { break }
                // Repeated parts repeat their field number one element after another; nothing else may.
                guard number > lastNumber || (number == lastNumber && (11...12).contains(number)) else { throw LayoutError() }
                lastNumber = number
                switch (number, wireType) {
                case (1, .varint): version = try reader.varint()
                case (2, .varint): seq = try reader.varint()
                case (3, .lengthDelimited): customerID = try reader.string()
                case (4, .varint): eventCount = try reader.varint()
                case (13, .lengthDelimited):
                    // The day buckets come last, up to 90 of them: walked here without the reader's
                    // general field loop (each a one-byte key, and a one-byte length as c360 writes them).
                    var lastField = fieldStart
                    var payload = try reader.lengthDelimited()
                    var offset = reader.offset
                    while offset + 1 < raw.count, raw[offset] == 0x6A, raw[offset + 1] < 0x80 {
                        let length = Int(raw[offset + 1])
                        guard offset + 2 + length <= raw.count else { throw LayoutError() }
                        lastField = offset
                        payload = (offset + 2)..<(offset + 2 + length)
                        offset += 2 + length
                    }
                    // Anything after them (a longer bucket, another field) goes to the decoded fold.
                    guard offset == raw.count else { throw LayoutError() }
                    parts[Projection.Parts.days.index] = fieldStart..<offset
                    days = (fieldStart..<offset, lastField, payload)
                    break fields
                case (_, .lengthDelimited):
                    guard let part = Projection.Parts(field: number) else { throw LayoutError() }
                    let payload = try reader.lengthDelimited()
                    let existing = parts[part.index]
                    parts[part.index] = (existing.isEmpty ? fieldStart : existing.lowerBound)..<reader.offset
                    payloads[part.index] = payload
                default:
                    throw LayoutError()
                }
            }
        }

        struct LayoutError: Error {}

        /// The message bytes of singular `part`, `nil` when it is not there.
        func payload(of part: Projection.Parts) -> Range<Int>? {
            parts[part.index].isEmpty ? nil : payloads[part.index]
        }

        func bytes(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: raw[range])
        }

        /// A writer holding the header as `ProjectionFold.applyHeader` leaves it for `event` at `seq`.
        func writingHeader(of event: FoldableEvent, seq newSeq: UInt64, from raw: UnsafeRawBufferPointer) -> ProtobufWireWriter {
            var header = Projection()
            header.customerID = customerID
            header.eventCount = eventCount
            ProjectionFold.applyHeader(of: event, seq: newSeq, to: &header)
            var writer = ProtobufWireWriter(capacity: raw.count + 64)
            if header.version != 0 { writer.uint64Field(1, UInt64(header.version)) }
            if header.seq != 0 { writer.uint64Field(2, header.seq) }
            if !header.customerID.isEmpty { writer.stringField(3, header.customerID) }
            if header.eventCount != 0 { writer.uint64Field(4, header.eventCount) }
            return writer
        }

        /// Copies the fields of each of `parts` there is, in order.
        func copy(_ each: [Projection.Parts], from raw: UnsafeRawBufferPointer, to writer: inout ProtobufWireWriter) {
            for part in each where !parts[part.index].isEmpty {
                writer.raw(UnsafeRawBufferPointer(rebasing: raw[parts[part.index]]))
            }
        }
    }
}
