import CDeepGenVector
import Dispatch
import Foundation

/// Thread-count control and a chunked parallel loop shared by every kernel.
///
/// Chunks run on a pool of persistent workers (see `WorkerPool`) that spin briefly between jobs,
/// so that splitting problems of a few hundred microseconds still pays.
///
/// Kernels split work into chunks whose boundaries depend only on the problem size and the
/// thread count, so results are reproducible for a given thread count.
public enum Parallel {
    private static var _threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["DEEPGEN_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// A thread count bound for one task and what it calls (``withThreadCount(_:_:)``).
    @TaskLocal static var scopedThreadCount: Int?
    /// Number of threads kernels may use: the count bound by ``withThreadCount(_:_:)`` for the
    /// current task, else the process's (default: `DEEPGEN_THREADS` or the number of active cores).
    /// Setting it sets the process's. While no scope is open anywhere (an atomic count; a thread
    /// inside a scope has seen its own increment) the task-local lookup is skipped.
    public static var threadCount: Int {
        get { deepgen_open_scopes() == 0 ? _threadCount : (scopedThreadCount ?? _threadCount) }
        set { _threadCount = max(1, newValue) }
    }

    /// Runs `body` with kernels using `count` threads, in this task only: concurrent tasks (tests
    /// running side by side) keep their own counts, which a process-wide setting could not.
    public static func withThreadCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        deepgen_scope_enter()
        defer { deepgen_scope_exit() }
        return try $scopedThreadCount.withValue(max(1, count), operation: body)
    }

    /// Runs `body(chunkIndex, range)` over `0..<count` split into at most `threadCount` contiguous
    /// chunks, each at least `minChunk` long. Runs inline when only one chunk results.
    @inlinable
    public static func forEachChunk(_ count: Int, minChunk: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = chunkCount(count, minChunk: minChunk)
        if chunks == 1 { body(0, 0..<count); return }
        runChunks(chunks) { c in body(c, chunkRange(c, of: chunks, count: count)) }
    }

    /// Runs `body(chunkIndex, range)` over `0..<count` split into exactly `min(chunks, count)`
    /// contiguous near-equal chunks (the caller decides how many; `threadCount` is not consulted).
    /// Runs inline when only one chunk results.
    @inlinable
    public static func forEachChunk(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = max(1, min(chunks, count))
        if chunks == 1 { body(0, 0..<count); return }
        runChunks(chunks) { c in body(c, chunkRange(c, of: chunks, count: count)) }
    }

    /// How many chunks `forEachChunk` will use for `count` items.
    @inlinable
    public static func chunkCount(_ count: Int, minChunk: Int = 1) -> Int {
        max(1, min(threadCount, count / max(1, minChunk)))
    }

    /// The range of chunk `c` when `count` items are split into `chunks` near-equal parts.
    @inlinable
    public static func chunkRange(_ c: Int, of chunks: Int, count: Int) -> Range<Int> {
        let base = count / chunks, extra = count % chunks
        let start = c * base + min(c, extra)
        return start..<(start + base + (c < extra ? 1 : 0))
    }
}
