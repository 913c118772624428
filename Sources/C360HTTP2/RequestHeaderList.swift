#if canImport(Glibc)
import Glibc
#endif

/// The header list of the request being received, built against the previous request's: a client
/// sends the same headers request after request. While the fields arriving equal the previous
/// list's, field by field, only their count is kept, and a list equal to it throughout is that same
/// array, with no array or String made for it. The first field that differs starts a list of its
/// own, where a name or value equal to the one at the same place last time still reuses its String.
///
/// Fields are compared with the previous list's bytes, kept back to back in memory this type owns,
/// so that a comparison touches no String (each String read from the list was a retain and a
/// release, 2% of a call in `perf`).
struct RequestHeaderList: ~Copyable {
    typealias Header = HTTP2ServerSession.Header

    private var previous: [Header] = []
    /// `previous`' names and values back to back, and where each ends (two per field).
    private var previousBytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var previousEnds = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    /// How many fields received so far equal `previous`' first ones, while `differing` is empty.
    private var matched = 0
    /// The list received, once a field differed from `previous`.
    private var differing: [Header] = []

    init() {}

    deinit {
        previousBytes.deallocate()
        previousEnds.deallocate()
    }

    /// Starts a new list, dropping what was received of one not finished.
    mutating func reset() {
        matched = 0
        differing = []
    }

    /// Adds the next field received.
    mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        if differing.isEmpty {
            if previousField(matched, is: name, value) {
                matched += 1
                return
            }
            differing = Array(previous.prefix(matched))
            differing.reserveCapacity(max(8, matched + 4))
        }
        let position = differing.count
        guard position < previous.count else {
            return differing.append(Header(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        let last = previous[position]
        differing.append(Header(Self.equal(last.name, name) ? last.name : String(decoding: name, as: UTF8.self),
                                Self.equal(last.value, value) ? last.value : String(decoding: value, as: UTF8.self)))
    }

    /// The list received, which the next one is compared with. The next list starts at `reset`
    /// (the session resets when a block ends and when the next begins).
    mutating func finish() -> [Header] {
        let list: [Header]
        if !differing.isEmpty {
            list = differing
        } else if matched == previous.count {
            list = previous
        } else {
            list = Array(previous.prefix(matched))
        }
        if !differing.isEmpty || matched != previous.count { remember(list) }
        return list
    }

    /// Whether field `index` of the previous list has this name and value.
    @inline(__always)
    private func previousField(_ index: Int, is name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard 2 * index + 1 < previousEnds.count else { return false }
        let start = index == 0 ? 0 : previousEnds[2 * index - 1]
        let nameEnd = previousEnds[2 * index], valueEnd = previousEnds[2 * index + 1]
        guard nameEnd - start == name.count, valueEnd - nameEnd == value.count else { return false }
        return (name.isEmpty || memcmp(previousBytes.baseAddress! + start, name.baseAddress!, name.count) == 0)
            && (value.isEmpty || memcmp(previousBytes.baseAddress! + nameEnd, value.baseAddress!, value.count) == 0)
    }

    /// Makes `list` the one the next request's fields are compared with.
    private mutating func remember(_ list: [Header]) {
        previous = list
        let total = list.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        if previousBytes.count < total {
            previousBytes.deallocate()
            previousBytes = .allocate(byteCount: max(total, 2 * previousBytes.count), alignment: 1)
        }
        if previousEnds.count != 2 * list.count {
            previousEnds.deallocate()
            previousEnds = .allocate(capacity: 2 * list.count)
        }
        var offset = 0
        for (index, header) in list.enumerated() {
            for byte in header.name.utf8 {
                previousBytes[offset] = byte
                offset += 1
            }
            previousEnds[2 * index] = offset
            for byte in header.value.utf8 {
                previousBytes[offset] = byte
                offset += 1
            }
            previousEnds[2 * index + 1] = offset
        }
    }

    /// Whether `string`'s UTF-8 is `bytes`.
    @inline(__always)
    private static func equal(_ string: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        string.utf8.withContiguousStorageIfAvailable { stored in
            stored.count == bytes.count && (bytes.isEmpty || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        } == true
    }
}
