import DeepGenKernels
import Foundation

extension Tensor {
    /// Binary cross-entropy with logits summed over each sample: `Σⱼ softplus(xⱼ) − xⱼ·tⱼ` over all
    /// axes but the first, `[N]` (`F.binary_cross_entropy_with_logits(..., reduction="none")
    /// .flatten(1).sum(1)`). One fused op: the loss is one pass with no per-element tensors in
    /// between, and the gradient `g·(σ(x) − t)` (targets: `−g·x`) one more. The GAN losses and the
    /// VAEs' Bernoulli likelihood are built on it. A recorded backward pass uses the composite formula.
    public func binaryCrossEntropyRowSums(targets: Tensor) -> Tensor {
        precondition(shape == targets.shape && rank >= 1,
                     "[binaryCrossEntropyRowSums] logits \(shape) and targets \(targets.shape) must have one shape of rank ≥ 1")
        let x = self, t = targets
        let rows = shape[0], width = rows == 0 ? 0 : count / rows
        let out = Tensor(uninitializedShape: [rows])
        let px = x.storage.pointer, pt = t.storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(rows, minChunk: Swift.max(1, 16384 / Swift.max(width, 1))) { _, r in
            for i in r {
                po[i] = Tensor.rowBinaryCrossEntropy(px + i * width, pt + i * width, width)
            }
        }
        let rowShape = [rows] + [Int](repeating: 1, count: rank - 1)
        return Tensor.record("binaryCrossEntropyRowSums", out, inputs: [x, t]) { g in
            if GradMode.isEnabled {
                let gr = g.reshaped(rowShape)
                return [(x.sigmoid() - t) * gr, t.requiresGrad ? -(x * gr) : nil]
            }
            let dx = Tensor(uninitializedShape: x.shape)
            let pd = dx.storage.pointer, pg = g.storage.pointer
            Parallel.forEachChunk(rows, minChunk: Swift.max(1, 16384 / Swift.max(width, 1))) { _, r in
                for i in r {
                    let gi = pg[i], o = i * width
                    var j = 0
                    while j + 16 <= width {
                        let v = UnsafeRawPointer(px + o + j).loadUnaligned(as: VectorMath.V.self)
                        let tv = UnsafeRawPointer(pt + o + j).loadUnaligned(as: VectorMath.V.self)
                        UnsafeMutableRawPointer(pd + o + j).storeBytes(of: (Tensor.sigmoidVector(v) - tv) * gi, as: VectorMath.V.self)
                        j += 16
                    }
                    while j < width {
                        pd[o + j] = (Tensor.sigmoidScalar(px[o + j]) - pt[o + j]) * gi
                        j += 1
                    }
                }
            }
            var dt: Tensor? = nil
            if t.requiresGrad {
                let d = Tensor(uninitializedShape: x.shape), pdt = d.storage.pointer
                for i in 0..<rows { for j in 0..<width { pdt[i * width + j] = -px[i * width + j] * pg[i] } }
                dt = d
            }
            withExtendedLifetime((x, t)) {}
            return [dx, dt]
        }
    }

    /// `Σ softplus(x) − x·t` over one row: max(x, 0) − x·t + log1p(exp(−|x|)) per element.
    @inline(__always)
    static func rowBinaryCrossEntropy(_ x: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = VectorMath.V()
        var j = 0
        while j + 16 <= n {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: VectorMath.V.self)
            let tv = UnsafeRawPointer(t + j).loadUnaligned(as: VectorMath.V.self)
            acc += Tensor.softplusVector(v) - v * tv
            j += 16
        }
        var s = acc.sum()
        while j < n {
            let v = x[j]
            s += (v > 0 ? v : 0) + Foundation.log1p(Foundation.exp(-Swift.abs(v))) - v * t[j]
            if v.isNaN { s = .nan }
            j += 1
        }
        return s
    }

    @inline(__always)
    static func sigmoidScalar(_ v: Float) -> Float {
        let e = Foundation.exp(-Swift.abs(v))
        return v >= 0 ? 1 / (1 + e) : e / (1 + e)
    }
}
