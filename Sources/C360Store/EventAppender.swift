public import C360Model

/// Something events can be appended to: a local `EventStore`, or (later) a running server.
public protocol EventAppender: Sendable {
    /// Appends `events` and returns one outcome per event, in order, once they are durable.
    func append(_ events: [C360_V1_Event]) async -> [AppendOutcome]
}

extension EventStore: EventAppender {}
