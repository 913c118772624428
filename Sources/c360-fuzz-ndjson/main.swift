import C360Fuzz

// libFuzzer calls this once, before the first input: the mapping the records go through is built
// here, so that its allocations are not counted against (and reported as leaked by) an input.
@_cdecl("LLVMFuzzerInitialize")
public func initializeFuzzer(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = FuzzTargets.recordMapping
    return 0
}

// libFuzzer entry point: build with `swift build --sanitize=fuzzer` (see ops/fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSONLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    FuzzTargets.ndjson(bytes)
    FuzzTargets.mappedRecord(bytes)
    return 0
}
