import C360Fuzz

// Opened once per fuzzing process, on first use (a static, not a top-level variable: libFuzzer
// provides `main`, so this file's top-level code never runs): every input runs against the same
// real store.
enum Shared {
    static let harness = try! FuzzTargets.RPCHarness()
}

// libFuzzer entry point: build with `swift build --sanitize=fuzzer` (see ops/fuzz/run.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPCRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Shared.harness.handle(Array(UnsafeRawBufferPointer(start: start, count: count)))
    return 0
}
