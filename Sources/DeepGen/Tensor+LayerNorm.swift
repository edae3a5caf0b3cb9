import DeepGenKernels

extension Tensor {
    /// Normalizes every row over the last axis with its own mean and biased variance, then scales
    /// and shifts it: `(x − mean) / √(variance + eps) · weight + bias` (PyTorch's `F.layer_norm`
    /// over the last dimension; `weight` and `bias` of shape `[width]`, either may be absent).
    ///
    /// One fused op: a row's statistics stay in registers and the backward pass is two passes per
    /// row. When the backward pass is itself recorded (`createGraph`) it is written in
    /// differentiable ops, so higher derivatives are right.
    public func layerNormalized(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 1, "[layerNormalized] input needs at least one axis")
        let width = shape[rank - 1], rows = count / Swift.max(width, 1)
        precondition(width > 0, "[layerNormalized] input \(shape) has an empty last axis")
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t { precondition(t.shape == [width], "[layerNormalized] \(name) shape \(t.shape) should be [\(width)]") }
        }
        let x = self
        let mean = Tensor(uninitializedShape: [rows]), invStd = Tensor(uninitializedShape: [rows])
        let y = Tensor(uninitializedShape: shape)
        let px = x.storage.pointer, py = y.storage.pointer, pm = mean.storage.pointer, ps = invStd.storage.pointer
        // Absent weights and biases read ones and zeros: an optional tested inside the loop is
        // if-converted into masked loads through a null pointer (slow on AMD cores).
        let w = weight ?? Tensor(ones: [width]), b = bias ?? Tensor(zeros: [width])
        let pw = w.storage.pointer, pb = b.storage.pointer
        Parallel.forEachChunk(rows, minChunk: Swift.max(1, 8192 / width)) { _, r in
            for row in r {
                let src = px + row * width, dst = py + row * width
                let m = RowMath.sum(src, width) / Float(width)
                let v = RowMath.centeredSquares(src, width, m) / Float(width)
                let s = 1 / (v + eps).squareRoot()
                pm[row] = m
                ps[row] = s
                RowMath.normalize(src, dst, width, m, s, pw, pb)
            }
        }
        withExtendedLifetime((w, b)) {}
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return Tensor.record("layerNormalized", y, inputs: inputs) { g in
            let grads: (Tensor?, Tensor?, Tensor?)
            if GradMode.isEnabled {
                grads = Tensor.layerNormalizedBackwardRecorded(x, g, weight: weight, eps: eps)
            } else {
                grads = Tensor.layerNormalizedBackward(x, g, mean: mean, invStd: invStd, weight: weight,
                                                       wantWeight: weight?.needsGradient ?? false, wantBias: bias?.needsGradient ?? false)
            }
            return [grads.0] + (weight == nil ? [] : [grads.1]) + (bias == nil ? [] : [grads.2])
        }
    }

    /// The fused backward pass: `dx` per row, and the weight and bias gradients summed over rows
    /// in per-chunk partial sums added in chunk order (reproducible for a thread count).
    static func layerNormalizedBackward(_ x: Tensor, _ g: Tensor, mean: Tensor, invStd: Tensor, weight: Tensor?,
                                        wantWeight: Bool, wantBias: Bool) -> (Tensor?, Tensor?, Tensor?) {
        let width = x.shape[x.rank - 1], rows = x.count / width
        let dx = x.needsGradient ? Tensor(uninitializedShape: x.shape) : nil
        let chunks = Parallel.chunkCount(rows, minChunk: Swift.max(1, 8192 / width))
        let partial = (wantWeight || wantBias) ? Tensor(zeros: [chunks, 2, width]) : nil
        let px = x.storage.pointer, pg = g.storage.pointer, pm = mean.storage.pointer, ps = invStd.storage.pointer
        let w = weight ?? Tensor(ones: [width])
        let pw = w.storage.pointer, pdx = dx?.storage.pointer, pp = partial?.storage.pointer
        let scratch = Tensor(uninitializedShape: [chunks, 2, width])
        Parallel.forEachChunk(rows, chunks: chunks) { c, r in
            let xhat = scratch.storage.pointer + c * 2 * width, dxhat = xhat + width
            for row in r {
                let src = px + row * width, grad = pg + row * width
                let m = pm[row], s = ps[row]
                // The row sums in 16 lanes, then across them (Swift keeps a scalar loop's order).
                let (sumD, sumDX) = RowMath.normalizedAndScaled(src, grad, pw, width, m, s, xhat: xhat, dxhat: dxhat)
                if let pp {
                    let dw = pp + c * 2 * width, db = dw + width
                    RowMath.accumulate(grad, xhat, width, product: dw, sum: db)
                }
                if let pdx {
                    RowMath.layerNormInputGradient(xhat, dxhat, width, s, meanD: sumD / Float(width), meanDX: sumDX / Float(width),
                                                   into: pdx + row * width)
                }
            }
        }
        withExtendedLifetime((w, scratch)) {}
        guard let partial else { return (dx, nil, nil) }
        let dw = wantWeight ? Tensor(zeros: [width]) : nil, db = wantBias ? Tensor(zeros: [width]) : nil
        for c in 0..<chunks {
            let p = partial.storage.pointer + c * 2 * width
            if let dw { for j in 0..<width { dw.storage.pointer[j] += p[j] } }
            if let db { for j in 0..<width { db.storage.pointer[j] += p[width + j] } }
        }
        return (dx, dw, db)
    }

    /// The same gradients in differentiable ops, for a recorded backward pass.
    static func layerNormalizedBackwardRecorded(_ x: Tensor, _ g: Tensor, weight: Tensor?, eps: Float) -> (Tensor?, Tensor?, Tensor?) {
        let last = x.rank - 1
        let centered = x - x.mean(axes: [last], keepDims: true)
        let invStd = 1 / (centered.square().mean(axes: [last], keepDims: true) + eps).sqrt()
        let xhat = centered * invStd
        let dxhat = weight.map { g * $0 } ?? g
        let dx = invStd * (dxhat - dxhat.mean(axes: [last], keepDims: true) - xhat * (dxhat * xhat).mean(axes: [last], keepDims: true))
        let rowAxes = Array(0..<last)
        return (dx, (g * xhat).sum(axes: rowAxes), g.sum(axes: rowAxes))
    }
}

/// Per-row loops of the fused normalizations, vectorized by hand (Swift does not reorder float sums).
enum RowMath {
    typealias V = SIMD16<Float>

    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = V(), j = 0
        while j + 16 <= n { acc += UnsafeRawPointer(p + j).loadUnaligned(as: V.self); j += 16 }
        var s = acc.sum()
        while j < n { s += p[j]; j += 1 }
        return s
    }

    @inline(__always)
    static func centeredSquares(_ p: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Float {
        var acc = V(), j = 0
        let mv = V(repeating: m)
        while j + 16 <= n {
            let d = UnsafeRawPointer(p + j).loadUnaligned(as: V.self) - mv
            acc.addProduct(d, d)
            j += 16
        }
        var s = acc.sum()
        while j < n { let d = p[j] - m; s += d * d; j += 1 }
        return s
    }

    /// `xhat = (x − m)·s` and `dxhat = g·w` over a row; returns `(Σ dxhat, Σ dxhat·xhat)`.
    @inline(__always)
    static func normalizedAndScaled(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ n: Int,
                                    _ m: Float, _ s: Float, xhat: UnsafeMutablePointer<Float>, dxhat: UnsafeMutablePointer<Float>) -> (Float, Float) {
        let mv = V(repeating: m), sv = V(repeating: s)
        var sumD = V(), sumDX = V(), j = 0
        while j + 16 <= n {
            let h = (load(x + j) - mv) * sv, d = load(g + j) * load(w + j)
            store(h, xhat + j); store(d, dxhat + j)
            sumD += d
            sumDX += d * h
            j += 16
        }
        var sd = VectorMath.total(sumD), sdx = VectorMath.total(sumDX)
        while j < n {
            let h = (x[j] - m) * s, d = g[j] * w[j]
            xhat[j] = h; dxhat[j] = d
            sd += d; sdx += d * h
            j += 1
        }
        return (sd, sdx)
    }

    /// `product += g·xhat`, `sum += g` elementwise.
    @inline(__always)
    static func accumulate(_ g: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ n: Int,
                           product: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 16 <= n {
            let gv = load(g + j)
            store(load(product + j) + gv * load(xhat + j), product + j)
            store(load(sum + j) + gv, sum + j)
            j += 16
        }
        while j < n { product[j] += g[j] * xhat[j]; sum[j] += g[j]; j += 1 }
    }

    /// Layer norm's input gradient `s·(dxhat − meanD − xhat·meanDX)` over a row.
    @inline(__always)
    static func layerNormInputGradient(_ xhat: UnsafePointer<Float>, _ dxhat: UnsafePointer<Float>, _ n: Int, _ s: Float,
                                       meanD: Float, meanDX: Float, into out: UnsafeMutablePointer<Float>) {
        let sv = V(repeating: s), md = V(repeating: meanD), mdx = V(repeating: meanDX)
        var j = 0
        while j + 16 <= n {
            store(sv * (load(dxhat + j) - md - load(xhat + j) * mdx), out + j)
            j += 16
        }
        while j < n { out[j] = s * (dxhat[j] - meanD - xhat[j] * meanDX); j += 1 }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    @inline(__always)
    static func normalize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ m: Float, _ s: Float,
                          _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>) {
        for j in 0..<n { dst[j] = (src[j] - m) * s * w[j] + b[j] }
    }
}
