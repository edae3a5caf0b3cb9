import DeepGen
import DeepGenModels
import Foundation

/// Averages a network's gradients over the ranks of a data-parallel run, in buckets that are
/// summed while the backward pass goes on (PyTorch DDP's scheme): the parameters are laid out in
/// reverse order (the last layers' gradients are complete first) in one flat buffer cut into
/// buckets of at most ``bucketCapacity`` values; as the backward pass completes a gradient
/// (``gradientReady(_:_:)``) it is copied into its bucket, and a full bucket starts a nonblocking
/// all-reduce (buckets start in order on every rank, as MPI requires). ``average(_:)`` waits for
/// the rest and writes each mean back. With each rank's loss the mean over its equal share of the
/// global batch, the result is the gradient of the mean over the whole batch, as one process
/// computes it; the sums are the same numbers a single all-reduce makes.
final class GradientAverager: GradientReducing {
    /// Values per bucket: 4 MB of floats, or `DEEPGEN_BUCKET_VALUES` (PyTorch's `bucket_cap_mb`:
    /// smaller buckets start sooner, larger ones cost fewer calls).
    let bucketCapacity: Int

    let communicator: MPICommunicator
    /// Seconds spent averaging so far outside the backward pass (copies, starting the remaining
    /// sums, and waiting for them, waits for slower processes included): the benchmark reports it
    /// per step.
    private(set) var seconds: Double = 0

    private struct Bucket {
        var range: Range<Int>
        var parameters = 0
        var missing = 0
        var pending: MPICommunicator.PendingSum?
    }
    private var counts: [Int] = []
    private var buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
    private var offsets: [Int] = []
    private var bucketOf: [Int] = []
    private var buckets: [Bucket] = []
    private var received: [Bool] = []
    private var started = 0
    private var inPass = false
    private var failure: (any Error)?

    init(_ communicator: MPICommunicator, bucketCapacity: Int? = nil) {
        self.communicator = communicator
        let fromEnvironment = ProcessInfo.processInfo.environment["DEEPGEN_BUCKET_VALUES"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        self.bucketCapacity = min(bucketCapacity ?? fromEnvironment ?? 1 << 20, Int(Int32.max))
    }

    deinit { releaseBuffer() }

    /// Frees the buffer unless a sum MPI may still write into it is running (after a failure the
    /// run ends anyway: the memory is left to the process's exit).
    private func releaseBuffer() {
        if buckets.contains(where: { $0.pending.map { !$0.isComplete } ?? false }) { return }
        buffer.deallocate()
    }

    func beginBackward(parameterCounts: [Int]) {
        if parameterCounts != counts { layOut(parameterCounts) }
        for b in buckets.indices { (buckets[b].missing, buckets[b].pending) = (buckets[b].parameters, nil) }
        received = [Bool](repeating: false, count: counts.count)
        started = 0
        failure = nil
        inPass = true
    }

    func gradientReady(_ index: Int, _ gradient: Tensor) {
        guard inPass, !received[index] else { return }
        take(index, gradient)
        startCompleteBuckets()
        // Move the running sums on while the pass goes on.
        for b in 0..<started where failure == nil {
            if let p = buckets[b].pending { do { try communicator.test(p) } catch { failure = error } }
        }
    }

    func average(_ gradients: inout [Tensor]) throws {
        let start = communicator.time
        defer { seconds += communicator.time - start }
        if !inPass { beginBackward(parameterCounts: gradients.map(\.count)) }
        inPass = false
        precondition(gradients.map(\.count) == counts, "[GradientAverager] gradients of other sizes than the backward pass announced")
        for i in gradients.indices where !received[i] { take(i, gradients[i]) }
        startCompleteBuckets()
        if let failure { throw failure }
        for b in buckets.indices { if let p = buckets[b].pending { try communicator.wait(for: p) } }
        // The mean is written back into each gradient's own storage (the trainer hands over the
        // only reference: no allocation).
        let scale = 1 / Float(communicator.size)
        for i in gradients.indices {
            let source = buffer.baseAddress! + offsets[i]
            gradients[i].withUnsafeMutableBufferPointer { g in
                for j in g.indices { g[j] = source[j] * scale }
            }
        }
    }

    /// Parameters last to first, in buckets of at most `bucketCapacity` values (a larger one alone).
    private func layOut(_ parameterCounts: [Int]) {
        counts = parameterCounts
        releaseBuffer()
        buffer = .allocate(capacity: max(1, counts.reduce(0, +)))
        offsets = [Int](repeating: 0, count: counts.count)
        bucketOf = offsets
        buckets = []
        var offset = 0
        for i in counts.indices.reversed() {
            if buckets.isEmpty || (buckets[buckets.count - 1].range.count + counts[i] > bucketCapacity && buckets[buckets.count - 1].parameters > 0) {
                buckets.append(Bucket(range: offset ..< offset))
            }
            offsets[i] = offset
            offset += counts[i]
            bucketOf[i] = buckets.count - 1
            buckets[buckets.count - 1].range = buckets[buckets.count - 1].range.lowerBound ..< offset
            buckets[buckets.count - 1].parameters += 1
        }
    }

    private func take(_ index: Int, _ gradient: Tensor) {
        precondition(gradient.count == counts[index], "[GradientAverager] gradient \(index) has \(gradient.count) values, not \(counts[index])")
        gradient.withUnsafeBufferPointer { src in (buffer.baseAddress! + offsets[index]).update(from: src.baseAddress!, count: src.count) }
        received[index] = true
        buckets[bucketOf[index]].missing -= 1
    }

    /// Starts the buckets that are complete, in order: a later one waits for every earlier one.
    private func startCompleteBuckets() {
        while started < buckets.count, buckets[started].missing == 0, failure == nil {
            let range = buckets[started].range
            do {
                buckets[started].pending = try communicator.startSum(UnsafeMutableBufferPointer(rebasing: buffer[range]))
            } catch { failure = error }
            started += 1
        }
    }
}
