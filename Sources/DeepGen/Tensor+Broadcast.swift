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

    /// Applies `f` elementwise over the broadcast of `a` and `b` (no autograd); per element, not
    /// inlined — the common functions use the generic overload.
    static func broadcastMap(_ a: Tensor, _ b: Tensor, op: String, _ f: @escaping (Float, Float) -> Float) -> Tensor {
        broadcastMap(a, b, op: op, BinaryClosure(f: f))
    }

    /// Applies `f` elementwise over the broadcast of `a` and `b` (no autograd).
    @inline(__always)
    static func broadcastMap<Op: BinaryElementwise>(_ a: Tensor, _ b: Tensor, op: String, _ f: Op) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: shape)
        let n = out.count
        let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
        if a.count == n && b.count == n {
            Parallel.forEachChunk(n, minChunk: 1 << 15) { _, r in
                for i in r { po[i] = f(pa[i], pb[i]) }
            }
        } else if b.count == 1 {
            let bv = pb[0]
            Parallel.forEachChunk(n, minChunk: 1 << 15) { _, r in
                for i in r { po[i] = f(pa[i], bv) }
            }
        } else if a.count == 1 {
            let av = pa[0]
            Parallel.forEachChunk(n, minChunk: 1 << 15) { _, r in
                for i in r { po[i] = f(av, pb[i]) }
            }
        } else if n > 0 {
            let (dims, sa, sb) = coalescedBroadcast(shape, broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape))
            let rank = dims.count
            let inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1]
            let rows = n / inner
            Parallel.forEachChunk(rows, minChunk: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { _, r in
                for row in r {
                    // Decompose the row number into a multi-index over all but the last axis.
                    var rem = row, offA = 0, offB = 0
                    for d in stride(from: rank - 2, through: 0, by: -1) {
                        let i = rem % dims[d]
                        rem /= dims[d]
                        offA += i * sa[d]; offB += i * sb[d]
                    }
                    let o = po + row * inner, ra = pa + offA, rb = pb + offB
                    // The common layouts get loops the compiler vectorizes (a per-channel bias:
                    // a row of `a` against one value of `b`).
                    if ia == 1 && ib == 0 {
                        let bv = rb[0]
                        for j in 0..<inner { o[j] = f(ra[j], bv) }
                    } else if ia == 0 && ib == 1 {
                        let av = ra[0]
                        for j in 0..<inner { o[j] = f(av, rb[j]) }
                    } else if ia == 1 && ib == 1 {
                        for j in 0..<inner { o[j] = f(ra[j], rb[j]) }
                    } else {
                        for j in 0..<inner { o[j] = f(ra[j * ia], rb[j * ib]) }
                    }
                }
            }
        }
        return out
    }

    /// Merges neighbouring axes that both operands step through contiguously (or both broadcast),
    /// so `[N, C, H, W] + [1, C, 1, 1]` runs as `N·C` rows of `H·W` instead of `N·C·H` short rows.
    static func coalescedBroadcast(_ shape: [Int], _ sa: [Int], _ sb: [Int]) -> ([Int], [Int], [Int]) {
        var dims = [shape[shape.count - 1]], ca = [sa[sa.count - 1]], cb = [sb[sb.count - 1]]
        for d in stride(from: shape.count - 2, through: 0, by: -1) {
            let last = dims.count - 1
            if shape[d] == 1 { continue }
            if sa[d] == ca[last] * dims[last] && sb[d] == cb[last] * dims[last] {
                dims[last] *= shape[d]
            } else {
                dims.append(shape[d]); ca.append(sa[d]); cb.append(sb[d])
            }
        }
        return (dims.reversed(), ca.reversed(), cb.reversed())
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
