import Foundation

/// Wall time per op of a training step, for `deepgen bench train --profile` (what
/// `torch.profiler`'s `key_averages()` gives a PyTorch user): each forward op is charged the time
/// from the previous event to its recording (ops record after computing their result), each
/// backward op the time of its vector-Jacobian product, each sum of two gradient shares its own
/// time. Keys are the op and its output's shape, so one layer's product is told from another's.
///
/// Off unless enabled: then every recorded op costs one branch. Intervals are per thread (each
/// thread that records ops, a training loop or a test, has its own); the totals are shared.
public enum OpProfiler {
    /// Where an interval was spent.
    public enum Phase: String, Codable, Sendable { case forward, backward, optimizer, other }

    /// One key's totals.
    public struct Entry: Codable, Sendable {
        public var phase: Phase
        public var op: String
        public var shape: [Int]
        public var calls: Int
        public var seconds: Double
    }

    private struct Key: Hashable {
        let phase: Phase
        let op: String
        let shape: [Int]
    }

    nonisolated(unsafe) public private(set) static var isEnabled = false
    nonisolated(unsafe) private static var totals: [Key: (calls: Int, nanoseconds: UInt64)] = [:]
    /// Bumped by `start()`: a thread whose state is from an earlier start begins its first interval then.
    nonisolated(unsafe) private static var generation = 0
    nonisolated(unsafe) private static var startTime: UInt64 = 0
    private static let lock = NSLock()

    /// One thread's place in its intervals.
    private final class ThreadState {
        var last: UInt64 = 0
        var generation = -1
        /// Inside a `gradients` pass the ops its backward closures call are part of their node's time.
        var inBackward = false
    }

    private static let perThread = PerThread { ThreadState() }
    private static var state: ThreadState { perThread.value }

    /// Whether this thread is inside a `gradients` pass (set by the pass, restored after it).
    static var inBackward: Bool {
        get { state.inBackward }
        set { state.inBackward = newValue }
    }

    /// Starts collecting (again), from zero.
    public static func start() {
        lock.withLock {
            totals = [:]
            generation += 1
            startTime = now()
            isEnabled = true
        }
    }

    /// Stops collecting and returns the totals since `start()`, largest first.
    @discardableResult
    public static func stop() -> [Entry] {
        lock.withLock {
            isEnabled = false
            return totals.map { Entry(phase: $0.key.phase, op: $0.key.op, shape: $0.key.shape, calls: $0.value.calls,
                                      seconds: Double($0.value.nanoseconds) / 1e9) }
                .sorted { ($0.seconds, $1.op) > ($1.seconds, $0.op) }
        }
    }

    /// Charges the time since the previous event to `op` in `phase`.
    @inline(__always)
    static func charge(_ phase: Phase, _ op: @autoclosure () -> String, shape: @autoclosure () -> [Int] = []) {
        guard isEnabled else { return }
        chargeNow(Key(phase: phase, op: op(), shape: shape()))
    }

    /// A forward op just recorded its result (not called for ops run by a backward closure).
    @inline(__always)
    static func recorded(_ op: String, shape: [Int]) {
        guard isEnabled, !state.inBackward else { return }
        chargeNow(Key(phase: .forward, op: op, shape: shape))
    }

    /// Charges the time since the previous event to `name` in `phase`: for code outside the ops
    /// (an optimizer's update, a loop's bookkeeping).
    public static func mark(_ phase: Phase, _ name: String) {
        charge(phase, name)
    }

    @inline(never)
    private static func chargeNow(_ key: Key) {
        let s = state, t = now()
        lock.withLock {
            guard isEnabled else { return }
            if s.generation != generation { (s.generation, s.last) = (generation, startTime) }
            let spent = t &- s.last
            s.last = t
            totals[key, default: (0, 0)].calls += 1
            totals[key, default: (0, 0)].nanoseconds += spent
        }
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
