import C360Fuzz

// libFuzzer entry point: build with `swift build --sanitize=fuzzer` (see ops/fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSONLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    FuzzTargets.ndjson(bytes)
    FuzzTargets.mappedRecord(bytes)
    return 0
}
