import DeepGenKernels

/// Index maps for plane gathers, boxed so closures share one copy.
final class IndexMap: @unchecked Sendable {
    let indices: [Int32]
    /// Whether every plane has its own indices (`planes × outPerPlane`) or all share one map.
    let perPlane: Bool
    init(_ indices: [Int32], perPlane: Bool) { self.indices = indices; self.perPlane = perPlane }
}

// A gather within planes and its adjoint, a scatter-add. Max pooling, nearest upsampling,
// reflection padding and picking class scores are all gathers, so they share this one pair of
// linear primitives (each the other's gradient).

extension Tensor {
    /// `out[p, j] = self[p, idx[j]]` with `self` viewed as `[planes, inPerPlane]`; an index of -1 reads 0.
    static func gatherPlanes(_ x: Tensor, planes: Int, map: IndexMap, outShape: [Int]) -> Tensor {
        let inPer = x.count / Swift.max(planes, 1)
        let out = Tensor(uninitializedShape: outShape)
        let outPer = out.count / Swift.max(planes, 1)
        let px = x.storage.pointer, po = out.storage.pointer
        map.indices.withUnsafeBufferPointer { idx in
            Parallel.forEachChunk(planes, minChunk: Swift.max(1, 16384 / Swift.max(outPer, 1))) { _, r in
                for p in r {
                    let src = px + p * inPer, dst = po + p * outPer
                    let ip = map.perPlane ? idx.baseAddress! + p * outPer : idx.baseAddress!
                    for j in 0..<outPer { let i = Int(ip[j]); dst[j] = i >= 0 ? src[i] : 0 }
                }
            }
        }
        let inShape = x.shape
        return record("gather", out, inputs: [x]) { g in [scatterAddPlanes(g, planes: planes, map: map, inShape: inShape)] }
    }

    /// The adjoint of `gatherPlanes`: `out[p, idx[j]] += self[p, j]`.
    static func scatterAddPlanes(_ g: Tensor, planes: Int, map: IndexMap, inShape: [Int]) -> Tensor {
        let out = Tensor(zeros: inShape)
        let inPer = out.count / Swift.max(planes, 1), outPer = g.count / Swift.max(planes, 1)
        let pg = g.storage.pointer, po = out.storage.pointer
        map.indices.withUnsafeBufferPointer { idx in
            Parallel.forEachChunk(planes, minChunk: Swift.max(1, 16384 / Swift.max(outPer, 1))) { _, r in
                for p in r {
                    let src = pg + p * outPer, dst = po + p * inPer
                    let ip = map.perPlane ? idx.baseAddress! + p * outPer : idx.baseAddress!
                    for j in 0..<outPer { let i = Int(ip[j]); if i >= 0 { dst[i] += src[j] } }
                }
            }
        }
        return record("scatterAdd", out, inputs: [g]) { u in [gatherPlanes(u, planes: planes, map: map, outShape: g.shape)] }
    }

    /// `self[i, labels[i]]` for a `[N, C]` tensor: the score of each row's class.
    public func gatheringClassScores(_ labels: [Int]) -> Tensor {
        precondition(rank == 2 && labels.count == shape[0],
                     "[gatherClassScores] need [N, C] scores and N labels, got \(shape) and \(labels.count) labels")
        let c = shape[1]
        for l in labels { precondition(l >= 0 && l < c, "[gatherClassScores] label \(l) outside 0..<\(c)") }
        return Tensor.gatherPlanes(self, planes: shape[0], map: IndexMap(labels.map(Int32.init), perPlane: true), outShape: [shape[0]])
    }

    /// Nearest-neighbour upsampling of the last two axes by integer factors.
    public func upsampledNearest(scale: Size2) -> Tensor {
        precondition(rank == 4 && scale.h >= 1 && scale.w >= 1, "[upsampleNearest] needs NCHW and scale ≥ 1, got \(shape), \(scale)")
        let h = shape[2], w = shape[3], oh = h * scale.h, ow = w * scale.w
        var idx = [Int32](repeating: 0, count: oh * ow)
        for y in 0..<oh { for x in 0..<ow { idx[y * ow + x] = Int32((y / scale.h) * w + x / scale.w) } }
        return Tensor.gatherPlanes(self, planes: shape[0] * shape[1], map: IndexMap(idx, perPlane: false),
                                   outShape: [shape[0], shape[1], oh, ow])
    }


    /// Reflection padding of the last two axes (PyTorch's `ReflectionPad2d`, edge not repeated).
    public func reflectionPadded2d(left: Int, right: Int, top: Int, bottom: Int) -> Tensor {
        precondition(rank == 4, "[reflectionPad2d] needs NCHW, got \(shape)")
        let h = shape[2], w = shape[3]
        precondition(left >= 0 && right >= 0 && top >= 0 && bottom >= 0 && left < w && right < w && top < h && bottom < h,
                     "[reflectionPad2d] padding (\(left), \(right), \(top), \(bottom)) must be non-negative and smaller than the input \(h)×\(w)")
        let oh = h + top + bottom, ow = w + left + right
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i) }
        var idx = [Int32](repeating: 0, count: oh * ow)
        for y in 0..<oh { for x in 0..<ow { idx[y * ow + x] = Int32(reflect(y - top, h) * w + reflect(x - left, w)) } }
        return Tensor.gatherPlanes(self, planes: shape[0] * shape[1], map: IndexMap(idx, perPlane: false),
                                   outShape: [shape[0], shape[1], oh, ow])
    }

    public func reflectionPadded2d(_ p: Int) -> Tensor { reflectionPadded2d(left: p, right: p, top: p, bottom: p) }
}
