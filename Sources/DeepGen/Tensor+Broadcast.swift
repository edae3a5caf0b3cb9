import DeepGenKernels

extension Tensor {
    /// The NumPy broadcast of two shapes, or a stop naming `op` and both shapes.
    static func broadcastShape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1,
                         "[\(op)] shapes \(a) and \(b) cannot be broadcast together")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides to read a tensor of `shape` as if broadcast to `target` (0 along broadcast axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var s = 1
        let offset = target.count - shape.count
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i + offset] = shape[i] == 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    /// Applies `f` elementwise over the broadcast of `a` and `b` (no autograd).
    @inline(__always)
    static func broadcastMap(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: shape)
        let n = out.count
        let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
        if a.count == n && b.count == n {
            Parallel.forEachChunk(n, minChunk: 1 << 16) { _, r in
                for i in r { po[i] = f(pa[i], pb[i]) }
            }
        } else if b.count == 1 {
            let bv = pb[0]
            Parallel.forEachChunk(n, minChunk: 1 << 16) { _, r in
                for i in r { po[i] = f(pa[i], bv) }
            }
        } else if a.count == 1 {
            let av = pa[0]
            Parallel.forEachChunk(n, minChunk: 1 << 16) { _, r in
                for i in r { po[i] = f(av, pb[i]) }
            }
        } else if n > 0 {
            let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
            let rank = shape.count
            let inner = shape[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
            let rows = n / inner
            Parallel.forEachChunk(rows, minChunk: Swift.max(1, (1 << 16) / Swift.max(inner, 1))) { _, r in
                var index = [Int](repeating: 0, count: rank)
                for row in r {
                    // Decompose the row number into a multi-index over all but the last axis.
                    var rem = row, offA = 0, offB = 0
                    for d in stride(from: rank - 2, through: 0, by: -1) {
                        index[d] = rem % shape[d]; rem /= shape[d]
                        offA += index[d] * sa[d]; offB += index[d] * sb[d]
                    }
                    let o = po + row * inner
                    for j in 0..<inner { o[j] = f(pa[offA + j * ia], pb[offB + j * ib]) }
                }
            }
        }
        return out
    }

    /// Sums a gradient of a broadcast result back to `shape` (the un-broadcast, written once).
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let offset = rank - target.count
        precondition(offset >= 0, "[sum(toShape:)] cannot reduce \(shape) to \(target)")
        var axes: [Int] = Array(0..<offset)
        for (i, s) in target.enumerated() where s == 1 && shape[i + offset] != 1 { axes.append(i + offset) }
        var r = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        if r.shape != target { r = r.reshaped(target) }
        return r
    }
}
