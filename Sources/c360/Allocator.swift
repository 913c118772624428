import CJemalloc
#if canImport(Glibc)
import Glibc
#endif

/// The process's memory allocator: jemalloc, linked in (Debian's libjemalloc), in place of glibc's
/// malloc for every allocation the process makes — Swift's runtime, SwiftNIO, libnghttp2, RocksDB.
///
/// Why: allocation and freeing were 12% of the server's CPU under small appends (`perf`: glibc's
/// `_int_malloc`, `_int_free`, `malloc_consolidate` and its arena locks' futex waits), spread over
/// every call. Preloading each allocator into the same release server and alternating runs on the
/// default data set (2026-12-01): `GetProfile` at `-c 16 -m 32` 127,000–133,000 requests/s at
/// 11.3–11.9 µs of server CPU each with glibc (two arenas, the cap c360 had set), 142,000–164,000
/// at 8.9–10.5 µs with jemalloc, 146,000–163,000 with tcmalloc; small appends 9,900–11,800 events/s
/// at 128–158 µs with glibc, 11,700–13,500 at 112–132 µs with jemalloc. Peak memory under lookups
/// and appends over 100,000 customers: 357 MiB with glibc, 384 MiB with jemalloc. jemalloc reads
/// its tuning from `MALLOC_CONF`; none of the settings tried here gained anything (`narenas:2`
/// lowered the lookups' rate from 116,317 to 95,667 requests/s in one run; `background_thread:true`
/// and `percpu_arena:percpu` stayed within the runs' noise).
enum Allocator {
    /// jemalloc's version as it reports it, or `nil` if this thread's allocations do not go through
    /// it (a link order that put glibc's malloc first would leave jemalloc loaded but unused).
    /// A function, not a property: it allocates to find out.
    static func jemallocVersionIfInUse() -> String? {
        var version: UnsafePointer<CChar>?
        var length = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &length, nil, 0) == 0, let version else { return nil }
        let before = allocatedByThisThread
        let probe = [UInt8](repeating: 1, count: 4096)
        let after = withExtendedLifetime(probe) { allocatedByThisThread }
        guard let before, let after, after > before else { return nil }
        return String(cString: version)
    }

    /// How long jemalloc keeps freed pages before returning them to the system, unless
    /// `MALLOC_CONF` (which jemalloc reads at its start) says otherwise: a server's budget is its
    /// resident memory, and jemalloc's default of 10 s kept pages freed while caches churned
    /// resident long enough to count. At 1 s (2026-12-03, alternated on the default data set, a new
    /// server each time): small appends' peak 337–350 MiB against 344–364, at the same rate and CPU
    /// per append (13,779–18,178 against 11,098–17,770 appends/s), lookups at `-c 16 -m 32` the
    /// same (5.6–5.9 against 5.4–6.7 µs of server CPU each). Returns the setting, or `nil` if
    /// `MALLOC_CONF` is set or jemalloc refused it.
    @discardableResult
    static func returnFreedPages(afterMilliseconds milliseconds: Int) -> Int? {
        if let conf = getenv("MALLOC_CONF"), conf.pointee != 0 { return nil }
        var decay = milliseconds
        let size = MemoryLayout<Int>.size
        // The default for arenas made from now on, then each arena made so far (one not made
        // yet refuses, and will take the default).
        guard mallctl("arenas.dirty_decay_ms", nil, nil, &decay, size) == 0 else { return nil }
        var arenas: UInt32 = 0
        var arenasSize = MemoryLayout<UInt32>.size
        guard mallctl("arenas.narenas", &arenas, &arenasSize, nil, 0) == 0 else { return nil }
        for arena in 0..<arenas {
            _ = mallctl("arena.\(arena).dirty_decay_ms", nil, nil, &decay, size)
        }
        return milliseconds
    }

    /// The arenas jemalloc allocates from (`narenas`, set in `CJemallocSettings` or `MALLOC_CONF`).
    static var arenas: UInt32? {
        var arenas: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        return mallctl("opt.narenas", &arenas, &size, nil, 0) == 0 ? arenas : nil
    }

    /// Bytes jemalloc has allocated for the calling thread so far.
    private static var allocatedByThisThread: UInt64? { threadCounter("thread.allocated") }

    /// Bytes the calling thread has allocated and not freed so far (each allocation as its size
    /// class, what it occupies): the difference across some work is what that work keeps.
    /// `nil` when jemalloc is not in use.
    static var liveBytesOfThisThread: Int? {
        guard let allocated = threadCounter("thread.allocated"), let freed = threadCounter("thread.deallocated") else { return nil }
        return Int(truncatingIfNeeded: allocated &- freed)
    }

    private static func threadCounter(_ name: String) -> UInt64? {
        var value: UInt64 = 0
        var length = MemoryLayout<UInt64>.size
        return mallctl(name, &value, &length, nil, 0) == 0 ? value : nil
    }
}
