/// Per-channel normalization kernels: the training-mode computation of BatchNorm (and of
/// InstanceNorm, whose "channels" are the N·C planes), fused into two passes forward and two
/// backward instead of the dozen broadcast passes the composite formula takes.
///
/// `x` is viewed as `[outer, channels, inner]` (NCHW: outer = N, inner = H·W); each channel's
/// statistics run over its `outer·inner` values. Channels are split over threads, so each
/// channel's sums are formed in the same order whatever the thread count.
public enum ChannelNormalization {
    /// Mean and biased variance of each channel (two-pass: the variance sums squared deviations
    /// from the mean, which keeps its digits when the mean is large).
    public static func moments(
        _ x: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
        mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>
    ) {
        let m = Float(outer * inner)
        forEachChannelRange(outer: outer, channels: channels, inner: inner) { cs in
            if inner == 1 {
                rowSums(x, rows: outer, stride: channels, cs, into: mean) { v, _ in v }
                for c in cs { mean[c] /= m }
                rowSums(x, rows: outer, stride: channels, cs, into: variance) { v, c in (v - mean[c]) * (v - mean[c]) }
                for c in cs { variance[c] /= m }
                return
            }
            for c in cs {
                var s = SIMD16<Float>()
                var tail: Float = 0
                forEachBlock(x, outer: outer, channels: channels, inner: inner, c) { p in
                    let (v, t) = blockSum(p, inner)
                    s += v; tail += t
                }
                let mu = (s.sum() + tail) / m
                var q = SIMD16<Float>()
                var qt: Float = 0
                forEachBlock(x, outer: outer, channels: channels, inner: inner, c) { p in
                    let (v, t) = blockDot(p, p, inner, mu, mu)
                    q += v; qt += t
                }
                mean[c] = mu
                variance[c] = (q.sum() + qt) / m
            }
        }
    }

    /// `y = (x − mean[c]) · invStd[c] · weight[c] + bias[c]` (weight 1 and bias 0 when absent).
    public static func normalize(
        _ x: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>
    ) {
        forEachChannelRange(outer: outer, channels: channels, inner: inner) { cs in
            withCoefficients(cs.count, 2) { scale, shift, _ in
                for (i, c) in cs.enumerated() {
                    scale[i] = invStd[c] * (weight?[c] ?? 1)
                    shift[i] = (bias?[c] ?? 0) - mean[c] * scale[i]
                }
                for a in 0..<outer {
                    if inner == 1 {
                        // [N, C] rows: one vectorizable pass along the channels.
                        let xr = x + (a &* channels &+ cs.lowerBound), yr = y + (a &* channels &+ cs.lowerBound)
                        for i in 0..<cs.count { yr[i] = xr[i] * scale[i] + shift[i] }
                        continue
                    }
                    for (i, c) in cs.enumerated() {
                        let base = (a &* channels &+ c) &* inner
                        affine(x + base, y + base, inner, scale[i], shift[i])
                    }
                }
            }
        }
    }

    /// Gradients of `normalize` after `moments` (the statistics depend on `x` too):
    /// `dx = weight·invStd · (dy − mean(dy) − x̂ · mean(dy·x̂))` with `x̂ = (x − mean)·invStd`,
    /// `dWeight = Σ dy·x̂`, `dBias = Σ dy` per channel. Any of the outputs may be nil.
    public static func backward(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
        dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    ) {
        forEachChannelRange(outer: outer, channels: channels, inner: inner) { cs in
            withCoefficients(cs.count, 3) { sumDy, sumDyXc, scratch in
                sums(x, dy, outer: outer, channels: channels, inner: inner, cs, mean: mean, sumDy: sumDy, sumDyXc: sumDyXc)
                for (i, c) in cs.enumerated() {
                    dWeight?[c] = sumDyXc[i] * invStd[c]
                    dBias?[c] = sumDy[i]
                }
                guard let dx else { return }
                // The coefficients overwrite the sums (each read before it is written).
                inputGradient(x, dy, outer: outer, channels: channels, inner: inner, cs, mean: mean, invStd: invStd, weight: weight,
                              sumDy: sumDy, sumDyXc: sumDyXc, count: outer * inner, dx: dx, coefficients: (sumDy, sumDyXc, scratch))
            }
        }
    }

    /// The first half of ``backward`` when the statistics span several processes (synchronized
    /// BatchNorm): this process's Σ dy and Σ dy·(x − mean) of each channel (`mean` the statistics'),
    /// into `sumDy[c]` and `sumDyXc[c]`. Summed over the processes, they go to ``inputGradient``.
    public static func gradientSums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
        mean: UnsafePointer<Float>, sumDy: UnsafeMutablePointer<Float>, sumDyXc: UnsafeMutablePointer<Float>
    ) {
        forEachChannelRange(outer: outer, channels: channels, inner: inner) { cs in
            sums(x, dy, outer: outer, channels: channels, inner: inner, cs, mean: mean,
                 sumDy: sumDy + cs.lowerBound, sumDyXc: sumDyXc + cs.lowerBound)
        }
    }

    /// The second half: `dx` from the sums of ``gradientSums`` over all `count` values of each
    /// channel (every process's).
    public static func inputGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
        sumDy: UnsafePointer<Float>, sumDyXc: UnsafePointer<Float>, count: Int, dx: UnsafeMutablePointer<Float>
    ) {
        forEachChannelRange(outer: outer, channels: channels, inner: inner) { cs in
            withCoefficients(cs.count, 3) { a1, a2, a0 in
                inputGradient(x, dy, outer: outer, channels: channels, inner: inner, cs, mean: mean, invStd: invStd, weight: weight,
                              sumDy: sumDy + cs.lowerBound, sumDyXc: sumDyXc + cs.lowerBound, count: count, dx: dx, coefficients: (a1, a2, a0))
            }
        }
    }

    /// Σ dy and Σ dy·(x − μ) of the channels `cs`, into `sumDy[i]`, `sumDyXc[i]` for channel `cs.lowerBound + i`.
    @inline(__always)
    static func sums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int, _ cs: Range<Int>,
        mean: UnsafePointer<Float>, sumDy: UnsafeMutablePointer<Float>, sumDyXc: UnsafeMutablePointer<Float>
    ) {
        let lo = cs.lowerBound
        for i in 0..<cs.count { sumDy[i] = 0; sumDyXc[i] = 0 }
        for a in 0..<outer {
            if inner == 1 {
                let xr = x + (a &* channels &+ lo), dr = dy + (a &* channels &+ lo)
                for i in 0..<cs.count {
                    sumDy[i] += dr[i]
                    sumDyXc[i] += dr[i] * (xr[i] - mean[lo + i])
                }
                continue
            }
            for (i, c) in cs.enumerated() {
                let base = (a &* channels &+ c) &* inner
                let (s1, t1) = blockSum(dy + base, inner)
                let (s2, t2) = blockDot(dy + base, x + base, inner, 0, mean[c])
                sumDy[i] += s1.sum() + t1
                sumDyXc[i] += s2.sum() + t2
            }
        }
    }

    /// dx = k·(dy − meanDy − (x − μ)·invStd·meanDyXhat) = a1·dy + a2·x + a0 for the channels `cs`,
    /// from their sums over `count` values (index `i` is channel `cs.lowerBound + i`). The
    /// coefficients may share storage with the sums: each sum is read before its slot is written.
    @inline(__always)
    static func inputGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int, _ cs: Range<Int>,
        mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
        sumDy: UnsafePointer<Float>, sumDyXc: UnsafePointer<Float>, count: Int, dx: UnsafeMutablePointer<Float>,
        coefficients: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    ) {
        let m = Float(count), lo = cs.lowerBound
        let (a1, a2, a0) = coefficients
        for (i, c) in cs.enumerated() {
            let k = invStd[c] * (weight?[c] ?? 1)
            let meanDy = sumDy[i] / m, meanDyXhat = sumDyXc[i] * invStd[c] / m
            let slope = -k * invStd[c] * meanDyXhat
            a1[i] = k
            a2[i] = slope
            a0[i] = -k * meanDy - slope * mean[c]
        }
        for a in 0..<outer {
            if inner == 1 {
                let xr = x + (a &* channels &+ lo), dr = dy + (a &* channels &+ lo), o = dx + (a &* channels &+ lo)
                for i in 0..<cs.count { o[i] = dr[i] * a1[i] + xr[i] * a2[i] + a0[i] }
                continue
            }
            for (i, c) in cs.enumerated() {
                let base = (a &* channels &+ c) &* inner
                combine(dy + base, x + base, dx + base, inner, a1[i], a2[i], a0[i])
            }
        }
    }

    /// Runs `body` with up to three scratch arrays of `count` floats each (per-channel coefficients).
    @inline(__always)
    static func withCoefficients(
        _ count: Int, _ arrays: Int,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 3 * count))
        defer { buffer.deallocate() }
        body(buffer, buffer + count, buffer + 2 * count)
    }

    // MARK: Helpers

    /// Splits the channels over threads when the problem is large enough to pay for it.
    @inline(__always)
    static func forEachChannelRange(outer: Int, channels: Int, inner: Int, _ body: (Range<Int>) -> Void) {
        let perChannel = max(1, outer * inner)
        Parallel.forEachChunk(channels, minChunk: max(1, 16384 / perChannel)) { _, cs in body(cs) }
    }

    /// Calls `body` with each of channel `c`'s `outer` contiguous blocks of `inner` values.
    @inline(__always)
    static func forEachBlock(
        _ x: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int, _ c: Int, _ body: (UnsafePointer<Float>) -> Void
    ) {
        for a in 0..<outer { body(x + (a &* channels &+ c) &* inner) }
    }

    /// Σ p[i] for i < n as 16 lane sums plus a scalar tail.
    @inline(__always)
    static func blockSum(_ p: UnsafePointer<Float>, _ n: Int) -> (SIMD16<Float>, Float) {
        var acc = SIMD16<Float>()
        var i = 0
        while i &+ 16 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            i &+= 16
        }
        var tail: Float = 0
        while i < n { tail += p[i]; i &+= 1 }
        return (acc, tail)
    }

    /// Σ (u[i] − uShift)·(v[i] − vShift) for i < n.
    @inline(__always)
    static func blockDot(
        _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ n: Int, _ uShift: Float, _ vShift: Float
    ) -> (SIMD16<Float>, Float) {
        var acc = SIMD16<Float>()
        var i = 0
        while i &+ 16 <= n {
            let a = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD16<Float>.self)
            acc = acc.addingProduct(a - uShift, b - vShift)
            i &+= 16
        }
        var tail: Float = 0
        while i < n { tail += (u[i] - uShift) * (v[i] - vShift); i &+= 1 }
        return (acc, tail)
    }

    /// Column sums of f(x[a·stride + c], c) over rows a, for c in `cs` (the `inner == 1` layout,
    /// where a channel's values are `stride` apart and a row holds all channels).
    @inline(__always)
    static func rowSums(
        _ x: UnsafePointer<Float>, rows: Int, stride: Int, _ cs: Range<Int>, into out: UnsafeMutablePointer<Float>,
        _ f: (Float, Int) -> Float
    ) {
        for c in cs { out[c] = 0 }
        for a in 0..<rows {
            let row = x + a &* stride
            for c in cs { out[c] += f(row[c], c) }
        }
    }

    /// y[i] = x[i]·scale + shift.
    @inline(__always)
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ scale: Float, _ shift: Float) {
        var i = 0
        while i &+ 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v * scale + shift, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < n { y[i] = x[i] * scale + shift; i &+= 1 }
    }

    /// out[i] = dy[i]·a1 + x[i]·a2 + a0.
    @inline(__always)
    static func combine(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
        _ a1: Float, _ a2: Float, _ a0: Float
    ) {
        var i = 0
        while i &+ 16 <= n {
            let d = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD16<Float>.self)
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: d * a1 + v * a2 + a0, as: SIMD16<Float>.self)
            i &+= 16
        }
        while i < n { out[i] = dy[i] * a1 + x[i] * a2 + a0; i &+= 1 }
    }
}
