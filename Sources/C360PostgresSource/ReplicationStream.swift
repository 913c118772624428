public import C360Core

/// The messages of a `START_REPLICATION` stream (the CopyData payloads of PostgreSQL's streaming
/// replication protocol), and the client's status updates.
public enum ReplicationStreamMessage: Sendable, Equatable {
    /// WAL data: for a logical slot, one `pgoutput` message starting at `start`.
    case xLogData(start: LSN, end: LSN, serverTime: Int64, payload: [UInt8])
    /// The server's heartbeat; `replyRequested`: send a status update now, or be disconnected.
    case keepalive(end: LSN, serverTime: Int64, replyRequested: Bool)

    public init(_ bytes: some Collection<UInt8>) throws(C360Error) {
        var reader = MessageReader(Array(bytes))
        switch try reader.byte() {
        case UInt8(ascii: "w"):
            let start = LSN(try reader.uint64())
            let end = LSN(try reader.uint64())
            let time = try reader.int64()
            self = .xLogData(start: start, end: end, serverTime: time, payload: try reader.bytes(reader.bytes.count - reader.position))
        case UInt8(ascii: "k"):
            let end = LSN(try reader.uint64())
            let time = try reader.int64()
            self = .keepalive(end: end, serverTime: time, replyRequested: try reader.byte() != 0)
            guard reader.isAtEnd else { throw reader.failure("bytes left after a keepalive") }
        case let kind:
            throw reader.failure("unknown replication message kind \(kind)")
        }
    }

    /// The standby status update that tells the server how far the client has the stream: up to
    /// `flushed` it is stored for good (for c360: committed in RocksDB), so the slot may let the
    /// WAL before it go. `time` is microseconds since 2000-01-01, PostgreSQL's epoch.
    public static func statusUpdate(received: LSN, flushed: LSN, applied: LSN, time: Int64, replyRequested: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "r")]
        for value in [received.value, flushed.value, applied.value, UInt64(bitPattern: time)] {
            withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
        }
        bytes.append(replyRequested ? 1 : 0)
        return bytes
    }

    /// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
    public static let postgresEpochOffsetMicroseconds: Int64 = 946_684_800_000_000
}
