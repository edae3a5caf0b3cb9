import DeepGenKernels

extension Tensor {
    /// WaveNet's gated activation `tanh(a)·σ(b)`, where `a` and `b` are the first and second half
    /// of `axis` (a filter and a gate computed by one convolution with twice the channels):
    /// `[N, 2C, T]` gives `[N, C, T]` for `axis` 1.
    ///
    /// One fused pass each way: the backward pass recomputes both nonlinearities from the input
    /// (nothing kept between the passes but the input) and writes both halves' gradients. A
    /// recorded backward pass uses the composite formula, so higher derivatives are right.
    public func gatedActivation(axis: Int = 1) -> Tensor {
        let a = Tensor.normalizeAxis(axis, rank: rank, op: "gatedActivation")
        precondition(shape[a] % 2 == 0, "[gatedActivation] axis \(a) of \(shape) must have an even size (filter and gate halves)")
        let outer = shape[..<a].reduce(1, *), half = shape[a] / 2 * shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape[a] /= 2
        let x = self, out = Tensor(uninitializedShape: outShape)
        let px = x.storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(outer * half, minChunk: 1 << 14) { _, r in
            GatedKernels.forEachSpan(r, half: half) { o, j, n in
                let src = px + o * 2 * half + j
                let t = LSTMKernels.tanh(LSTMKernels.load(src, n)), s = Tensor.sigmoidVector(LSTMKernels.load(src + half, n))
                LSTMKernels.store(t * s, po + o * half + j, n)
            }
        }
        return Tensor.record("gatedActivation", out, inputs: [x]) { g in
            if GradMode.isEnabled {
                let (filter, gate) = (x.sliced(axis: a, 0 ..< x.shape[a] / 2), x.sliced(axis: a, x.shape[a] / 2 ..< x.shape[a]))
                let t = filter.tanh(), s = gate.sigmoid()
                return [Tensor.concat([g * s * (1 - t * t), g * t * s * (1 - s)], axis: a)]
            }
            let dx = Tensor(uninitializedShape: x.shape)
            let pg = g.storage.pointer, pd = dx.storage.pointer
            Parallel.forEachChunk(outer * half, minChunk: 1 << 14) { _, r in
                GatedKernels.forEachSpan(r, half: half) { o, j, n in
                    let src = px + o * 2 * half + j, dst = pd + o * 2 * half + j
                    let t = LSTMKernels.tanh(LSTMKernels.load(src, n)), s = Tensor.sigmoidVector(LSTMKernels.load(src + half, n))
                    let gv = LSTMKernels.load(pg + o * half + j, n)
                    LSTMKernels.store(gv * s * (1 - t * t), dst, n)
                    LSTMKernels.store(gv * t * s * (1 - s), dst + half, n)
                }
            }
            withExtendedLifetime((x, g)) {}
            return [dx]
        }
    }
}

public enum GatedKernels {
    /// `out[o][j] = tanh(x[o][j])·σ(x[o][half + j])` for `outer` rows of `2·half` inputs: the
    /// forward pass of ``Tensor/gatedActivation(axis:)`` on raw rows, for step-by-step generators.
    public static func forward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, outer: Int, half: Int) {
        forEachSpan(0 ..< outer * half, half: half) { o, j, n in
            let src = x + o * 2 * half + j
            let t = LSTMKernels.tanh(LSTMKernels.load(src, n)), s = Tensor.sigmoidVector(LSTMKernels.load(src + half, n))
            LSTMKernels.store(t * s, out + o * half + j, n)
        }
    }

    /// Splits a range of output elements (flat over `[outer, half]`) into spans of at most 16
    /// within one outer index: `body(outer, offset, length)`.
    @inline(__always)
    static func forEachSpan(_ r: Range<Int>, half: Int, _ body: (Int, Int, Int) -> Void) {
        var i = r.lowerBound
        while i < r.upperBound {
            let o = i / half, j = i - o * half
            let n = Swift.min(16, half - j, r.upperBound - i)
            body(o, j, n)
            i += n
        }
    }
}
