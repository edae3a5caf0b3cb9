import DeepGenKernels
import Foundation

extension Tensor {
    /// Each row's cross-entropy `logΣexp(x) − x[label]` for `[N, C]` scores: `[N]`
    /// (`F.cross_entropy(..., reduction="none")`). One fused op: a row's log-sum-exp is computed
    /// once and kept, and the gradient `g·(softmax − onehot)` is one pass, with no `[N, C]`
    /// log-probabilities in between. A recorded backward pass uses the composite formula.
    public func softmaxCrossEntropy(labels: [Int]) -> Tensor {
        precondition(rank == 2 && labels.count == shape[0],
                     "[softmaxCrossEntropy] need [N, C] scores and N labels, got \(shape) and \(labels.count) labels")
        let rows = shape[0], classes = shape[1]
        precondition(classes > 0, "[softmaxCrossEntropy] no classes")
        for l in labels { precondition(l >= 0 && l < classes, "[softmaxCrossEntropy] label \(l) outside 0..<\(classes)") }
        let x = self
        let lse = Tensor(uninitializedShape: [rows]), out = Tensor(uninitializedShape: [rows])
        let px = x.storage.pointer, pl = lse.storage.pointer, po = out.storage.pointer
        labels.withUnsafeBufferPointer { lab in
            Parallel.forEachChunk(rows, minChunk: Swift.max(1, 16384 / classes)) { _, r in
                for i in r {
                    let row = px + i * classes
                    let l = Tensor.rowLogSumExp(row, classes)
                    pl[i] = l
                    po[i] = l - row[lab[i]]
                }
            }
        }
        return Tensor.record("softmaxCrossEntropy", out, inputs: [x]) { g in
            if GradMode.isEnabled {
                return [(x.softmax(axis: 1) - Tensor.oneHot(labels, classes: classes)) * g.reshaped([rows, 1])]
            }
            let dx = Tensor(uninitializedShape: [rows, classes])
            let pd = dx.storage.pointer, pg = g.storage.pointer
            labels.withUnsafeBufferPointer { lab in
                Parallel.forEachChunk(rows, minChunk: Swift.max(1, 16384 / classes)) { _, r in
                    for i in r {
                        let row = px + i * classes, d = pd + i * classes
                        let l = pl[i], gi = pg[i]
                        VectorMath.apply(row, d, count: classes, ShiftedExponential(shift: l, scale: gi))
                        d[lab[i]] -= gi
                    }
                }
            }
            withExtendedLifetime((x, lse)) {}
            return [dx]
        }
    }

    /// `[labels.count, classes]` with a one at each row's label.
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        let t = Tensor(zeros: [labels.count, classes])
        for (i, l) in labels.enumerated() { t.storage.pointer[i * classes + l] = 1 }
        return t
    }

    /// `log Σ exp(row)`, shifted by the row's maximum (a row of −∞ gives −∞; +∞ gives +∞).
    @inline(__always)
    static func rowLogSumExp(_ row: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for j in 0..<n { m = Swift.max(m, row[j]) }
        guard m.isFinite else { return m.isNaN ? .nan : m }
        var s: Float = 0, j = 0
        var acc = VectorMath.V()
        while j + 16 <= n {
            acc += VectorMath.exp(UnsafeRawPointer(row + j).loadUnaligned(as: VectorMath.V.self) - m)
            j += 16
        }
        s = acc.sum()
        while j < n { s += Foundation.exp(row[j] - m); j += 1 }
        return m + Foundation.log(s)
    }
}

/// `exp(x − shift) · scale`: a softmax's numerators (scale 1 leaves them exact) and the cross
/// entropy's gradient `g·softmax(x)` from the log-sum-exp.
struct ShiftedExponential: UnaryVectorFunction {
    let shift: VectorMath.V, scale: VectorMath.V

    init(shift: Float, scale: Float = 1) {
        self.shift = VectorMath.V(repeating: shift)
        self.scale = VectorMath.V(repeating: scale)
    }

    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { VectorMath.exp(v - shift) * scale }
}
