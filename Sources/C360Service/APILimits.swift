/// Limits on what one call may ask, each with a default. A call over a limit fails with
/// `RESOURCE_EXHAUSTED` naming it.
public struct APILimits: Sendable {
    /// Largest request message, in bytes. Default 4 MiB.
    public var maxRequestBytes = 4 << 20
    /// Most events in one `AppendEvents` request or one message of `AppendEventStream`. Default 10,000.
    public var maxEventsPerAppend = 10_000
    /// Most events in one `AppendEventStream` call. Default 10,000,000.
    public var maxEventsPerStream = 10_000_000
    /// Most ids in one `BatchGetProfiles` request. Default 1,000.
    public var maxBatchLookups = 1_000
    /// Largest timeline page. Default 1,000 (a request without a page size gets 50).
    public var maxTimelinePage = 1_000
    /// Most customer ids one `WatchProfiles` call may name. Default 10,000.
    public var maxWatchedCustomers = 10_000
    /// Largest `ListSegment` page. Default 10,000 (a request without a page size gets 1,000).
    public var maxSegmentPage = 10_000
    /// Concurrent HTTP/2 streams per connection. Default 256.
    public var maxConcurrentStreams = 256
    /// Longest a lookup waits for `min_seq` when the call has no deadline, in seconds. Default 10.
    public var maxMinSeqWaitSeconds = 10

    public init() {}
}
