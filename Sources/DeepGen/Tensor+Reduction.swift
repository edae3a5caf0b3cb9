import DeepGenKernels
import Foundation

extension Tensor {
    /// Sorted, deduplicated, non-negative axes; all axes when `axes` is nil.
    func normalizedAxes(_ axes: [Int]?, op: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        return Array(Set(axes.map { Tensor.normalizeAxis($0, rank: rank, op: op) })).sorted()
    }

    /// The shape after reducing `axes` (kept as size 1 or removed).
    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Reduces a run of consecutive axes `lo...hi` with `combine`, keeping them as size 1.
    /// Treats the tensor as `[outer, reduced, inner]`; each output element folds `reduced` values.
    private func reduceRun<Op: BinaryElementwise>(_ lo: Int, _ hi: Int, initial: Float, _ combine: Op) -> Tensor {
        let outer = shape[..<lo].reduce(1, *), reduced = shape[lo...hi].reduce(1, *)
        let inner = shape[(hi + 1)...].reduce(1, *)
        var outShape = shape
        for a in lo...hi { outShape[a] = 1 }
        let out = Tensor(uninitializedShape: outShape)
        let px = storage.pointer, po = out.storage.pointer
        if inner == 1 {
            Parallel.forEachChunk(outer, minChunk: Swift.max(1, 8192 / Swift.max(reduced, 1))) { _, r in
                for o in r {
                    let row = px + o * reduced
                    // Four accumulators: shorter dependency chains and less rounding drift.
                    var a0 = initial, a1 = initial, a2 = initial, a3 = initial
                    var j = 0
                    while j + 4 <= reduced {
                        a0 = combine(a0, row[j]); a1 = combine(a1, row[j + 1])
                        a2 = combine(a2, row[j + 2]); a3 = combine(a3, row[j + 3]); j += 4
                    }
                    while j < reduced { a0 = combine(a0, row[j]); j += 1 }
                    po[o] = combine(combine(a0, a1), combine(a2, a3))
                }
            }
        } else {
            Parallel.forEachChunk(outer * inner, minChunk: 4096) { _, r in
                // Chunks are ranges of output elements; walk them row by row for contiguous reads.
                var idx = r.lowerBound
                while idx < r.upperBound {
                    let o = idx / inner, i0 = idx % inner
                    let i1 = Swift.min(inner, i0 + (r.upperBound - idx))
                    let dst = po + o * inner
                    for i in i0..<i1 { dst[i] = initial }
                    for k in 0..<reduced {
                        let src = px + (o * reduced + k) * inner
                        for i in i0..<i1 { dst[i] = combine(dst[i], src[i]) }
                    }
                    idx += i1 - i0
                }
            }
        }
        return out
    }

    /// Folds `axes` (sorted) by consecutive runs, keeping reduced axes as size 1 (no autograd).
    func reduceKeepingDims<Op: BinaryElementwise>(_ axes: [Int], initial: Float, _ combine: Op) -> Tensor {
        var result = self
        var i = axes.count - 1
        while i >= 0 {
            var lo = i
            while lo > 0 && axes[lo - 1] == axes[lo] - 1 { lo -= 1 }
            result = result.reduceRun(axes[lo], axes[i], initial: initial, combine)
            i = lo - 1
        }
        return result
    }

    /// Sum over `axes` (all when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "sum")
        let x = self
        var out = ax.isEmpty ? self.detached() : reduceKeepingDims(ax, initial: 0, AddOp())
        let kept = out.shape
        if !keepDims { out = Tensor(shape: reducedShape(ax, keepDims: false), storage: out.storage) }
        return Tensor.record("sum", out, inputs: [x]) { g in [g.reshaped(kept).broadcast(to: x.shape)] }
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) / Float(Swift.max(n, 1))
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Maximum over `axes`; the gradient is shared equally among tied maxima.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "max")
        precondition(count > 0, "[max] empty tensor of shape \(shape)")
        let x = self
        let kept = ax.isEmpty ? self.detached() : reduceKeepingDims(ax, initial: -.infinity, MaximumOp())
        let out = keepDims ? kept : Tensor(shape: reducedShape(ax, keepDims: false), storage: kept.storage)
        return Tensor.record("max", out, inputs: [x]) { g in
            let mask = x.detached().isEqual(kept)
            let ties = mask.sum(axes: ax, keepDims: true)
            return [mask / ties * g.reshaped(kept.shape)]
        }
    }

    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }

    /// Minimum over `axes`.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { -(-self).max(axes: axes, keepDims: keepDims) }

    /// `log(sum(exp(x)))` over `axes`, shifted by the maximum so it never overflows.
    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "logSumExp")
        var m = detached().max(axes: ax, keepDims: true)
        m = m.map { $0.isFinite ? $0 : 0 }
        let r = (self - m).exp().sum(axes: ax, keepDims: true).log() + m
        return keepDims ? r : r.reshaped(reducedShape(ax, keepDims: false))
    }

    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes`; `unbiased` divides by n − 1 (as `torch.var`'s default), else by n
    /// (as normalization layers do).
    public func variance(axes: [Int]? = nil, keepDims: Bool = false, unbiased: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "variance")
        let n = ax.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(axes: ax, keepDims: true)
        let ss = centered.square().sum(axes: ax, keepDims: keepDims)
        return ss * (1 / Float(Swift.max(unbiased ? n - 1 : n, 1)))
    }
}

extension Tensor {
    /// The index of each row's largest value, for a `[N, K]` tensor (first one on ties).
    public func argmaxRows() -> [Int] {
        precondition(rank == 2, "[argmaxRows] needs a [N, K] tensor, got \(shape)")
        let k = shape[1]
        let values = scalars
        return (0..<shape[0]).map { row in
            var best = 0
            for j in 1..<k where values[row * k + j] > values[row * k + best] { best = j }
            return best
        }
    }
}
