/// One result slot per task of a `DispatchQueue.concurrentPerform`, each filled by its own task.
// @unchecked Sendable: every task writes only its own slots, and the slots are read only after
// `concurrentPerform` has returned.
final class ParallelSlots<Value>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }
}
