public import C360Model
import SwiftProtobuf

/// Turns one NDJSON line (the protobuf JSON mapping of `c360.v1.Event`) into a validated event,
/// or a `C360Error` whose message says what is wrong with the line.
///
/// Unknown fields are rejected, never ignored, so a misspelt field or an unknown event kind is
/// reported instead of being silently dropped.
public struct EventJSONDecoder: Sendable {
    /// The checks applied after decoding; `nil` when the events go to an `EventStore`, which
    /// validates every event it is given anyway.
    public var validator: EventValidator?

    public init(validator: EventValidator? = .init()) {
        self.validator = validator
    }

    /// Decodes one line and, when the decoder has a validator, validates it.
    public func decode(line: some Collection<UInt8>) throws(C360Error) -> C360_V1_Event {
        let event: C360_V1_Event
        // The usual shape first, read in one pass; SwiftProtobuf for the rest, and for the
        // message saying what is wrong with a line (`EventJSONReader`).
        if let read = line.withContiguousStorageIfAvailable({ EventJSONReader.event(UnsafeRawBufferPointer($0)) }) ?? nil {
            event = read
        } else {
            event = try Self.decodedBySwiftProtobuf(Array(line))
        }
        try validator?.validate(event)
        return event
    }

    private static func decodedBySwiftProtobuf(_ line: [UInt8]) throws(C360Error) -> C360_V1_Event {
        do {
            return try C360_V1_Event(jsonUTF8Bytes: line)
        } catch let error as JSONDecodingError {
            throw EventJSONDecoder.explain(error)
        } catch {
            throw C360Error(.invalidArgument, "not a valid event: \(error)")
        }
    }

    static func explain(_ error: JSONDecodingError) -> C360Error {
        switch error {
        case .unknownField(let name):
            return C360Error(
                .invalidArgument, "unknown field \"\(name)\": neither an event field nor an event kind", field: name)
        case .malformedTimestamp:
            return C360Error(.invalidArgument, "unparseable timestamp: expected RFC 3339 such as \"2026-11-22T10:15:00Z\"", field: "occurred_at")
        case .truncated, .trailingGarbage, .failure, .malformedString, .leadingZero:
            return C360Error(.invalidArgument, "malformed JSON (\(error))")
        case .invalidUTF8:
            return C360Error(.invalidArgument, "the line is not valid UTF-8")
        case .conflictingOneOf:
            return C360Error(.invalidArgument, "an event has exactly one payload, this one has several", field: "payload")
        case .unrecognizedEnumValue:
            return C360Error(.invalidArgument, "unknown enum value (for example ORDER_CHANNEL_ONLINE, WEB_EVENT_TYPE_LOGIN_SUCCESS)")
        case .malformedNumber, .numberRange:
            return C360Error(.invalidArgument, "a number is malformed or out of range (\(error))")
        case .schemaMismatch, .malformedBool, .illegalNull, .malformedMap, .unquotedMapKey:
            return C360Error(.invalidArgument, "a value has the wrong JSON type (\(error))")
        default:
            return C360Error(.invalidArgument, "not a valid event (\(error))")
        }
    }
}
