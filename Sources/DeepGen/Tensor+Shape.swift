import DeepGenKernels

// Shape ops. Tensors are always contiguous, so reshape shares storage and the rest copy.
// Each is linear; its backward is another op of this file, so gradients of any order work.

extension Tensor {
    /// Copies `source` read with `strides` (one per output axis, 0 to repeat) into a contiguous
    /// tensor of `shape`.
    static func stridedCopy(_ source: Tensor, shape: [Int], strides: [Int]) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let n = out.count
        guard n > 0 else { return out }
        let rank = shape.count
        if rank == 0 { out.storage.pointer[0] = source.storage.pointer[0]; return out }
        let ps = source.storage.pointer, po = out.storage.pointer
        let inner = shape[rank - 1], si = strides[rank - 1]
        let rows = n / inner
        Parallel.forEachChunk(rows, minChunk: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { _, r in
            for row in r {
                var rem = row, off = 0
                for d in stride(from: rank - 2, through: 0, by: -1) {
                    off += (rem % shape[d]) * strides[d]; rem /= shape[d]
                }
                let o = po + row * inner
                if si == 1 { o.update(from: ps + off, count: inner) } else {
                    for j in 0..<inner { o[j] = ps[off + j * si] }
                }
            }
        }
        return out
    }

    /// Row-major strides of a contiguous tensor of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
        return strides
    }

    /// The same elements with a new shape; one size may be `-1` and is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "[reshape] cannot reshape \(shape) to \(newShape)")
            target[inferred] = count / known
        }
        precondition(Tensor.elementCount(target) == count, "[reshape] cannot reshape \(shape) to \(newShape)")
        if target == shape { return self }
        let x = self, inShape = shape
        let out = Tensor(shape: target, storage: storage)
        return Tensor.record("reshape", out, inputs: [x]) { g in [g.reshaped(inShape)] }
    }

    public func reshaped(_ dims: Int...) -> Tensor { reshaped(dims) }

    /// Flattens axes `from...` into one.
    public func flattened(from axis: Int = 1) -> Tensor {
        let a = Tensor.normalizeAxis(axis, rank: rank, op: "flatten")
        return reshaped(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
    }

    /// Reorders the axes: output axis `i` is input axis `dims[i]`.
    public func permuted(_ dims: [Int]) -> Tensor {
        precondition(dims.count == rank && Set(dims) == Set(0..<rank),
                     "[permute] \(dims) is not a permutation of the axes of \(shape)")
        if dims == Array(0..<rank) { return self }
        let x = self
        let src = Tensor.contiguousStrides(shape)
        let out = Tensor.stridedCopy(x, shape: dims.map { shape[$0] }, strides: dims.map { src[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in dims.enumerated() { inverse[d] = i }
        return Tensor.record("permute", out, inputs: [x]) { g in [g.permuted(inverse)] }
    }

    public func permuted(_ dims: Int...) -> Tensor { permuted(dims) }

    /// Swaps two axes.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var dims = Array(0..<rank)
        dims.swapAt(Tensor.normalizeAxis(a, rank: rank, op: "transpose"), Tensor.normalizeAxis(b, rank: rank, op: "transpose"))
        return permuted(dims)
    }

    /// The transpose of a matrix.
    public func transposed() -> Tensor {
        precondition(rank == 2, "[transpose] needs a 2-D tensor, got shape \(shape)")
        return transposed(0, 1)
    }

    /// Broadcasts (materializes) to `target` following NumPy's rules.
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Tensor.broadcastShape(shape, target, op: "expand") == target,
                     "[expand] cannot expand \(shape) to \(target)")
        let x = self
        let out = Tensor.stridedCopy(x, shape: target, strides: Tensor.broadcastStrides(shape, to: target))
        let inShape = x.shape
        return Tensor.record("expand", out, inputs: [x]) { g in [g.sum(toShape: inShape)] }
    }

    /// Inserts an axis of size 1.
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "[unsqueeze] axis \(axis) out of range for shape \(shape)")
        var s = shape; s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes an axis of size 1 (all of them when `axis` is nil).
    public func squeezed(_ axis: Int? = nil) -> Tensor {
        guard let axis else { return reshaped(shape.filter { $0 != 1 }) }
        let a = Tensor.normalizeAxis(axis, rank: rank, op: "squeeze")
        precondition(shape[a] == 1, "[squeeze] axis \(axis) of shape \(shape) is not 1")
        var s = shape; s.remove(at: a)
        return reshaped(s)
    }

    /// Joins tensors along an existing axis.
    public static func concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "[concat] no tensors")
        let first = tensors[0]
        let a = normalizeAxis(axis, rank: first.rank, op: "concat")
        for t in tensors {
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "[concat] shapes \(tensors.map { $0.shape }) differ outside axis \(a)")
        }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor(uninitializedShape: outShape)
        let outer = first.shape[..<a].reduce(1, *)
        let innerOut = outShape[a...].reduce(1, *)
        var offset = 0
        for t in tensors {
            let innerT = t.shape[a...].reduce(1, *)
            let ps = t.storage.pointer, po = out.storage.pointer + offset
            for o in 0..<outer { (po + o * innerOut).update(from: ps + o * innerT, count: innerT) }
            offset += innerT
        }
        let sizes = tensors.map { $0.shape[a] }, slots = tensors.map(\.gradientSlot)
        return record("concat", out, inputs: tensors) { g in
            var start = 0
            return zip(slots, sizes).map { t, s in
                defer { start += s }
                return t.needsGradient ? g.sliced(axis: a, start ..< start + s) : nil
            }
        }
    }

    /// Joins tensors of equal shape along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "[stack] no tensors")
        precondition(tensors.allSatisfy { $0.shape == tensors[0].shape },
                     "[stack] shapes differ: \(tensors.map { $0.shape })")
        return concat(tensors.map { $0.unsqueezed(axis) }, axis: axis)
    }

    /// The elements whose index along `axis` lies in `range`.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = Tensor.normalizeAxis(axis, rank: rank, op: "slice")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "[slice] range \(range) out of bounds for axis \(a) of shape \(shape)")
        if range.count == shape[a] { return self }
        var outShape = shape; outShape[a] = range.count
        let out = Tensor(uninitializedShape: outShape)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let ps = storage.pointer, po = out.storage.pointer
        let rowIn = shape[a] * inner, rowOut = range.count * inner
        for o in 0..<outer { (po + o * rowOut).update(from: ps + o * rowIn + range.lowerBound * inner, count: rowOut) }
        let x = self, inShape = shape
        return Tensor.record("slice", out, inputs: [x]) { g in
            var pads = [(Int, Int)](repeating: (0, 0), count: inShape.count)
            pads[a] = (range.lowerBound, inShape[a] - range.upperBound)
            return [g.padded(pads)]
        }
    }

    /// Zero padding: `pads[i] = (before, after)` for each axis.
    public func padded(_ pads: [(Int, Int)]) -> Tensor {
        precondition(pads.count == rank && pads.allSatisfy { $0.0 >= 0 && $0.1 >= 0 },
                     "[pad] need \(rank) non-negative (before, after) pairs for shape \(shape), got \(pads)")
        if pads.allSatisfy({ $0 == (0, 0) }) { return self }
        let outShape = zip(shape, pads).map { $0 + $1.0 + $1.1 }
        let out = Tensor(zeros: outShape)
        if count > 0 {
            let outStrides = Tensor.contiguousStrides(outShape)
            let base = zip(pads, outStrides).reduce(0) { $0 + $1.0.0 * $1.1 }
            let inner = shape[rank - 1], rows = count / inner
            let ps = storage.pointer, po = out.storage.pointer
            for row in 0..<rows {
                var rem = row, off = base
                for d in stride(from: rank - 2, through: 0, by: -1) {
                    off += (rem % shape[d]) * outStrides[d]; rem /= shape[d]
                }
                (po + off).update(from: ps + row * inner, count: inner)
            }
        }
        let x = self, inShape = shape
        return Tensor.record("pad", out, inputs: [x]) { g in
            var r = g
            for (axis, p) in pads.enumerated() where p != (0, 0) { r = r.sliced(axis: axis, p.0 ..< p.0 + inShape[axis]) }
            return [r]
        }
    }

    /// Zero padding of the last two axes (H, W) of an NCHW tensor.
    public func padded2d(top: Int, bottom: Int, left: Int, right: Int) -> Tensor {
        precondition(rank >= 2, "[pad2d] needs at least 2 axes, got \(shape)")
        return padded(Array(repeating: (0, 0), count: rank - 2) + [(top, bottom), (left, right)])
    }
}
