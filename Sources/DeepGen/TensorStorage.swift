import DeepGenKernels
import Foundation

/// A reference-counted, 64-byte-aligned buffer of `Float`s.
///
/// Freed buffers go back to a size-keyed pool so that a training loop, which allocates the same
/// sizes every step, stops calling `malloc` after its first step.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// A buffer of `count` elements with unspecified contents.
    @usableFromInline init(uninitializedCount count: Int) {
        self.count = count
        pointer = BufferPool.shared.take(count)
    }

    /// A buffer of `count` zeros.
    convenience init(zeros count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { BufferPool.shared.give(pointer, count: count) }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// Keeps freed buffers by exact size for reuse; bounded so it never holds more than `limitBytes`.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var heldBytes = 0
    private let limitBytes = 1 << 30
    private let lock = NSLock()

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = Swift.max(count, 1)
        lock.lock()
        if let p = free[n]?.popLast() {
            heldBytes -= n * 4
            lock.unlock()
            return p
        }
        lock.unlock()
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride)
        guard status == 0, let raw else { fatalError("[TensorStorage] cannot allocate \(n) floats") }
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let n = Swift.max(count, 1)
        lock.lock()
        if heldBytes + n * 4 <= limitBytes {
            free[n, default: []].append(p)
            heldBytes += n * 4
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(p)
        }
    }

    /// Releases every pooled buffer back to the system.
    func drain() {
        lock.lock()
        for (_, list) in free { for p in list { Foundation.free(p) } }
        free = [:]; heldBytes = 0
        lock.unlock()
    }
}
