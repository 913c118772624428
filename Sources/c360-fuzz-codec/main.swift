import C360Fuzz

// libFuzzer entry point: build with `swift build --sanitize=fuzzer` (see ops/fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    FuzzTargets.codec(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
