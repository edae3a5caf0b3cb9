extension Tensor {
    /// Inverted dropout in one op: each element is zeroed with probability `p` and the rest are
    /// scaled by `1 / (1 − p)`. The same numbers as `self * Tensor.dropoutMask(shape, p:, using:)`
    /// — the same draws in the same order, the same products — but drawn and multiplied in one
    /// pass, with the mask kept for the backward pass as one byte per element instead of a float
    /// tensor (DCGAN's discriminator: its dropout cost 6% of a step as a mask and a product).
    ///
    /// With `share` (a data-parallel process's share `index` of `count` of the global batch on
    /// `batchAxis`) the mask is this share's rows of the global batch's mask, as
    /// ``dropoutMask(_:p:share:of:batchAxis:using:)`` draws it.
    public func dropout(p: Float, share: (index: Int, count: Int)? = nil, batchAxis: Int = 0,
                        using rng: inout RandomGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "[dropout] probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let keep = 1 / (1 - p)
        let n = count
        let out = Tensor(uninitializedShape: shape)
        var kept = [UInt8](repeating: 0, count: n)
        let px = UnsafePointer(storage.pointer), po = out.storage.pointer
        // The draws a chunk at a time into a buffer (the generator's chain alone), then the
        // comparisons and products over it, which vectorize.
        let chunk = 4096
        let uniforms = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { uniforms.deallocate() }
        kept.withUnsafeMutableBufferPointer { kb in
            let pk = kb.baseAddress!
            func draw(_ g: inout RandomGenerator, _ range: Range<Int>) {
                var start = range.lowerBound
                while start < range.upperBound {
                    let m = Swift.min(chunk, range.upperBound - start)
                    g.fillUniform(uniforms, count: m)
                    Tensor.applyDropout(uniforms, x: px + start, out: po + start, kept: pk + start, count: m, p: p, keep: keep)
                    start += m
                }
            }
            if let share, share.count > 1 {
                rng.drawShare(shape, index: share.index, of: share.count, batchAxis: batchAxis, draw)
            } else {
                draw(&rng, 0..<n)
            }
        }
        withExtendedLifetime(self) {}
        let inputShape = shape
        return Tensor.record("dropout", out, inputs: [self]) { g in
            if GradMode.isEnabled {
                // Differentiable: the product with the mask as a tensor, as `x * mask` records it.
                let mask = Tensor(shape: inputShape, scalars: kept.map { $0 != 0 ? keep : 0 })
                return [g * mask]
            }
            let dx = Tensor(uninitializedShape: inputShape)
            let pg = UnsafePointer(g.storage.pointer), pd = dx.storage.pointer
            kept.withUnsafeBufferPointer { kb in
                for i in 0..<n { pd[i] = pg[i] * (kb[i] != 0 ? keep : 0) }
            }
            withExtendedLifetime(g) {}
            return [dx]
        }
    }

    /// One chunk: `out = x · (u < p ? 0 : keep)`, `kept = u < p ? 0 : 1`. A function of its own,
    /// with nothing captured, so the loop vectorizes (in the closure every store could have
    /// changed the captured pointers, and the loop ran scalar with them reloaded).
    private static func applyDropout(_ u: UnsafePointer<Float>, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                     kept: UnsafeMutablePointer<UInt8>, count: Int, p: Float, keep: Float) {
        for j in 0..<count {
            let dropped = u[j] < p
            kept[j] = dropped ? 0 : 1
            out[j] = x[j] * (dropped ? 0 : keep)
        }
    }
}
