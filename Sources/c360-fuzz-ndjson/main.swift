import C360Fuzz

// libFuzzer entry point: build with `swift build --sanitize=fuzzer` (see ops/fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSONLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    FuzzTargets.ndjson(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
