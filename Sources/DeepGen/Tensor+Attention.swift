import DeepGenKernels
import Foundation

extension Tensor {
    /// Causal scaled-dot-product attention `softmax(scale·QKᵀ + causal mask)·V` over
    /// `[batch, heads, time, head]` queries, keys and values (`F.scaled_dot_product_attention(q,
    /// k, v, is_causal=True)`; `scale` defaults to `1/√head`).
    ///
    /// Queries may be fewer than keys: they are then the last positions, query `i` of `Tq` sitting
    /// at position `Tk − Tq + i` and seeing keys `0…Tk − Tq + i` — a key/value cache's step
    /// (`Tq = 1`) is the same op. One primitive with its own adjoint: no mask tensor exists, each
    /// (batch, head) pair's scores live in a per-thread scratch, and only each row's
    /// log-sum-exp is kept for the backward pass, which recomputes the probabilities (what is kept
    /// between the passes does not grow with time²; each thread's scratch holds one pair's scores).
    /// A recorded backward pass (`createGraph`) uses ``causalAttentionComposite``.
    ///
    /// `dropoutMask` (`[batch·heads, Tq, Tk]`, zeros and `1/(1 − p)`, from
    /// `Tensor.dropoutMask`) multiplies the probabilities before they weigh the values, as
    /// nanoGPT's attention dropout does; the backward pass applies it too (and `dO·O` is still the
    /// softmax adjoint's row sum, since `O` is computed from the dropped probabilities).
    public static func causalAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float? = nil,
                                       dropoutMask: Tensor? = nil) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && v.rank == 4,
                     "[causalAttention] query, key and value must be [batch, heads, time, head], got \(q.shape), \(k.shape), \(v.shape)")
        precondition(k.shape == v.shape, "[causalAttention] key \(k.shape) and value \(v.shape) differ")
        precondition(q.shape[0] == k.shape[0] && q.shape[1] == k.shape[1] && q.shape[3] == k.shape[3],
                     "[causalAttention] query \(q.shape) does not match key \(k.shape)")
        let tq = q.shape[2], tk = k.shape[2]
        precondition(tq <= tk, "[causalAttention] \(tq) queries but only \(tk) keys")
        let geometry = AttentionGeometry(pairs: q.shape[0] * q.shape[1], tq: tq, tk: tk, head: q.shape[3],
                                          scale: scale ?? 1 / Float(q.shape[3]).squareRoot())
        if let dropoutMask {
            precondition(dropoutMask.shape == [geometry.pairs, tq, tk], "[causalAttention] dropout mask \(dropoutMask.shape) should be [\(geometry.pairs), \(tq), \(tk)]")
        }
        let out = Tensor(uninitializedShape: q.shape)
        let lse = Tensor(uninitializedShape: [geometry.pairs, tq])
        let mask = dropoutMask.map { UnsafePointer($0.storage.pointer) }
        geometry.forward(q.storage.pointer, k.storage.pointer, v.storage.pointer, mask: mask, out: out.storage.pointer, lse: lse.storage.pointer)
        return record("causalAttention", out, inputs: [q, k, v]) { g in
            if GradMode.isEnabled { return causalAttentionBackwardRecorded(q, k, v, g, scale: geometry.scale, dropoutMask: dropoutMask) }
            let dq = Tensor(uninitializedShape: q.shape), dk = Tensor(uninitializedShape: k.shape), dv = Tensor(uninitializedShape: v.shape)
            geometry.backward(q.storage.pointer, k.storage.pointer, v.storage.pointer, mask: mask, out: out.storage.pointer, lse: lse.storage.pointer,
                              dOut: g.storage.pointer, dq: dq.storage.pointer, dk: dk.storage.pointer, dv: dv.storage.pointer)
            withExtendedLifetime((q, k, v, out, lse, dropoutMask)) {}
            return [q.needsGradient ? dq : nil, k.needsGradient ? dk : nil, v.needsGradient ? dv : nil]
        }
    }

    /// ``causalAttention(query:key:value:scale:dropoutMask:)`` of GPT's packed projection:
    /// `packed` is `[batch, time, 3·C]` (each position's queries, keys and values, each `C =
    /// heads·head` wide, heads side by side: `c_attn`'s output), the result `[batch, time, C]`
    /// (the heads side by side again, `c_proj`'s input). The kernel reads the heads where they lie
    /// and writes the gradient of all three parts into one tensor, so the splitting and merging
    /// copies around the primitive, the zero-padded slice gradients and their sums are not needed.
    /// The same values as splitting `packed` into `[batch, heads, time, head]` tensors and
    /// merging the result, bit for bit (a zero gradient may differ in sign).
    public static func causalSelfAttention(packed: Tensor, heads: Int, scale: Float? = nil, dropoutMask: Tensor? = nil) -> Tensor {
        precondition(packed.rank == 3 && heads > 0 && packed.shape[2] % (3 * heads) == 0,
                     "[causalSelfAttention] expects [batch, time, 3·heads·head] for \(heads) heads, got \(packed.shape)")
        let (b, t, c) = (packed.shape[0], packed.shape[1], packed.shape[2] / 3), d = c / heads
        let geometry = AttentionGeometry(
            pairs: b * heads, tq: t, tk: t, head: d, scale: scale ?? 1 / Float(d).squareRoot(),
            queries: AttentionLayout(heads: heads, batchStride: t * 3 * c, headStride: d, rowStride: 3 * c),
            keys: AttentionLayout(heads: heads, batchStride: t * 3 * c, headStride: d, rowStride: 3 * c),
            output: AttentionLayout(heads: heads, batchStride: t * c, headStride: d, rowStride: c))
        if let dropoutMask {
            precondition(dropoutMask.shape == [geometry.pairs, t, t], "[causalSelfAttention] dropout mask \(dropoutMask.shape) should be [\(geometry.pairs), \(t), \(t)]")
        }
        let out = Tensor(uninitializedShape: [b, t, c])
        let lse = Tensor(uninitializedShape: [geometry.pairs, t])
        let mask = dropoutMask.map { UnsafePointer($0.storage.pointer) }
        let base = packed.storage.pointer
        geometry.forward(base, base + c, base + 2 * c, mask: mask, out: out.storage.pointer, lse: lse.storage.pointer)
        return record("causalSelfAttention", out, inputs: [packed]) { g in
            if GradMode.isEnabled {
                let (q, k, v) = splitHeads(packed, heads: heads)
                let grads = causalAttentionBackwardRecorded(q, k, v, g.reshaped([b, t, heads, d]).permuted([0, 2, 1, 3]),
                                                            scale: geometry.scale, dropoutMask: dropoutMask)
                // [3, b, heads, t, d] → [b, t, 3, heads, d], as the split's inverse.
                let stacked = Tensor.concat(grads.map { $0!.reshaped([1, b, heads, t, d]) }, axis: 0)
                return [stacked.permuted([1, 3, 0, 2, 4]).reshaped([b, t, 3 * c])]
            }
            let dPacked = Tensor(uninitializedShape: packed.shape)
            let dp = dPacked.storage.pointer
            geometry.backward(base, base + c, base + 2 * c, mask: mask, out: out.storage.pointer, lse: lse.storage.pointer,
                              dOut: g.storage.pointer, dq: dp, dk: dp + c, dv: dp + 2 * c)
            withExtendedLifetime((packed, out, lse, dropoutMask)) {}
            return [dPacked]
        }
    }

    /// GPT's packed `[batch, time, 3·C]` projection as `[batch, heads, time, head]` queries, keys
    /// and values (differentiable views and one copy).
    public static func splitHeads(_ packed: Tensor, heads: Int) -> (query: Tensor, key: Tensor, value: Tensor) {
        let (b, t, c) = (packed.shape[0], packed.shape[1], packed.shape[2] / 3), d = c / heads
        let qkv = packed.reshaped([b, t, 3, heads, d]).permuted([2, 0, 3, 1, 4])
        return (qkv.sliced(axis: 0, 0..<1).reshaped([b, heads, t, d]), qkv.sliced(axis: 0, 1..<2).reshaped([b, heads, t, d]),
                qkv.sliced(axis: 0, 2..<3).reshaped([b, heads, t, d]))
    }

    /// The adjoint in differentiable ops, for a recorded backward pass.
    static func causalAttentionBackwardRecorded(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ g: Tensor, scale: Float, dropoutMask: Tensor?) -> [Tensor?] {
        let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3]), tk = k.shape[2]
        let q3 = q.reshaped([b * h, tq, d]), k3 = k.reshaped([b * h, tk, d]), v3 = v.reshaped([b * h, tk, d])
        let g3 = g.reshaped([b * h, tq, d])
        let p = causalProbabilities(q3, k3, scale: scale)
        let dropped = dropoutMask.map { p * $0 } ?? p
        var dp = g3.matmul(v3, transposeOther: true)
        if let dropoutMask { dp = dp * dropoutMask }
        let ds = p * (dp - (p * dp).sum(axes: [2], keepDims: true))
        return [(ds.matmul(k3) * scale).reshaped(q.shape), (ds.matmul(q3, transposeSelf: true) * scale).reshaped(k.shape),
                dropped.matmul(g3, transposeSelf: true).reshaped(v.shape)]
    }

    /// `softmax(scale·QKᵀ + causal mask)` for `[pairs, time, head]` queries and keys.
    static func causalProbabilities(_ q3: Tensor, _ k3: Tensor, scale: Float) -> Tensor {
        let tq = q3.shape[1], tk = k3.shape[1]
        var mask = [Float](repeating: 0, count: tq * tk)
        for i in 0..<tq { for j in (tk - tq + i + 1)..<tk { mask[i * tk + j] = -.infinity } }
        let scores = q3.matmul(k3, transposeOther: true) * scale + Tensor(shape: [1, tq, tk], scalars: mask)
        return scores.softmax(axis: 2)
    }

    /// ``causalAttention(query:key:value:scale:)`` written in differentiable tensor ops (batched
    /// products, an additive −∞ mask, softmax): the naive reference the tests compare against and
    /// the formula a recorded backward pass differentiates.
    public static func causalAttentionComposite(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float? = nil,
                                                dropoutMask: Tensor? = nil) -> Tensor {
        let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3]), tk = k.shape[2]
        let s = scale ?? 1 / Float(d).squareRoot()
        let q3 = q.reshaped([b * h, tq, d]), k3 = k.reshaped([b * h, tk, d]), v3 = v.reshaped([b * h, tk, d])
        let p = causalProbabilities(q3, k3, scale: s)
        return (dropoutMask.map { p * $0 } ?? p).matmul(v3).reshaped([b, h, tq, d])
    }
}

/// Where one (batch, head) pair's rows of an attention operand lie: pair `p` of `heads` per batch
/// item starts `(p / heads)·batchStride + (p % heads)·headStride` floats in, its rows
/// `rowStride` apart. `[pairs, time, head]` tensors are ``contiguous(time:head:)``; GPT's packed
/// projections (`[batch, time, 3·heads·head]`) are read and written in place.
struct AttentionLayout {
    let heads: Int, batchStride: Int, headStride: Int, rowStride: Int

    static func contiguous(time: Int, head: Int) -> AttentionLayout {
        AttentionLayout(heads: 1, batchStride: time * head, headStride: 0, rowStride: head)
    }

    @inline(__always) func offset(_ pair: Int) -> Int { (pair / heads) * batchStride + (pair % heads) * headStride }
}

/// The sizes of one attention call and its per-(batch, head) loops.
struct AttentionGeometry {
    let pairs: Int, tq: Int, tk: Int, head: Int
    let scale: Float
    /// The layouts of the queries (and their gradient), keys and values (and theirs), and the
    /// output (and its gradient).
    let queries: AttentionLayout, keys: AttentionLayout, output: AttentionLayout

    init(pairs: Int, tq: Int, tk: Int, head: Int, scale: Float,
         queries: AttentionLayout? = nil, keys: AttentionLayout? = nil, output: AttentionLayout? = nil) {
        self.pairs = pairs; self.tq = tq; self.tk = tk; self.head = head; self.scale = scale
        self.queries = queries ?? .contiguous(time: tq, head: head)
        self.keys = keys ?? .contiguous(time: tk, head: head)
        self.output = output ?? .contiguous(time: tq, head: head)
    }

    /// The last key query row `i` may see.
    @inline(__always) func limit(_ i: Int) -> Int { tk - tq + i }

    /// Pairs per chunk: about 64 KFLOP of work each, so small problems stay on one thread.
    var minChunk: Int { Swift.max(1, 65_536 / Swift.max(1, 4 * tq * tk * head)) }

    /// Query `i` sees keys up to `i + shift`.
    var shift: Int { tk - tq }

    /// The masked products' bands: a row of scores (or of their gradient) has columns up to its
    /// query's last key; a product over keys (`P V`, `dS K`) sums up to it; a product over queries
    /// (`Pᵀ dO`, `dSᵀ Q`) sums from the first query that sees the row's key.
    var scoreColumns: CausalBand { CausalBand(columnsTo: shift) }
    var keysSeen: CausalBand { CausalBand(kTo: shift) }
    var queriesSeeing: CausalBand { CausalBand(kFrom: -shift) }

    /// Floats of per-thread scratch for packing the products' right-hand operands.
    var packedCount: Int {
        Swift.max(sgemmCausalScratchCount(k: head, n: tk), sgemmCausalScratchCount(k: tk, n: head),
                  sgemmCausalScratchCount(k: tq, n: head))
    }

    /// Scores `S = scale·QKᵀ` where the mask keeps them, into rows `rows.width` apart.
    func scores(_ qp: UnsafePointer<Float>, _ kp: UnsafePointer<Float>, into s: UnsafeMutablePointer<Float>, rows: AttentionRows,
                packed: UnsafeMutablePointer<Float>) {
        sgemmCausal(transA: false, transB: true, m: tq, n: tk, k: head, alpha: scale, a: qp, lda: queries.rowStride,
                    b: kp, ldb: keys.rowStride, c: s, ldc: rows.width, band: scoreColumns, scratch: packed)
    }

    func forward(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                 out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>) {
        let chunks = Parallel.chunkCount(pairs, minChunk: minChunk)
        let rows = AttentionRows(columns: tk), ld = rows.width
        let perChunk = tq * ld + packedCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks * perChunk)
        defer { scratch.deallocate() }
        Parallel.forEachChunk(pairs, chunks: chunks) { c, r in
            let s = scratch + c * perChunk, packed = s + tq * ld
            let ldk = keys.rowStride, ldo = output.rowStride
            for p in r {
                let qp = q + queries.offset(p), kp = k + keys.offset(p), vp = v + keys.offset(p)
                scores(qp, kp, into: s, rows: rows, packed: packed)
                for i in 0..<tq {
                    let row = s + i * ld, n = limit(i) + 1
                    lse[p * tq + i] = rows.softmax(row, n)
                    if let mask {
                        let m = mask + (p * tq + i) * tk
                        for j in 0..<n { row[j] *= m[j] }
                    }
                }
                sgemmCausal(transA: false, transB: false, m: tq, n: head, k: tk, alpha: 1, a: s, lda: ld, b: vp, ldb: ldk,
                            c: out + output.offset(p), ldc: ldo, band: keysSeen, scratch: packed)
            }
        }
    }

    func backward(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                  out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                  dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>) {
        let chunks = Parallel.chunkCount(pairs, minChunk: minChunk)
        let rows = AttentionRows(columns: tk), ld = rows.width
        let perChunk = 2 * tq * ld + packedCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks * perChunk)
        defer { scratch.deallocate() }
        Parallel.forEachChunk(pairs, chunks: chunks) { c, r in
            let prob = scratch + c * perChunk, dp = prob + tq * ld, packed = dp + tq * ld
            let ldq = queries.rowStride, ldk = keys.rowStride, ldo = output.rowStride
            for p in r {
                let qp = q + queries.offset(p), kp = k + keys.offset(p), vp = v + keys.offset(p)
                let op = out + output.offset(p), gp = dOut + output.offset(p)
                // The probabilities again, from the kept log-sum-exp.
                scores(qp, kp, into: prob, rows: rows, packed: packed)
                for i in 0..<tq { rows.probabilities(prob + i * ld, limit(i) + 1, logSumExp: lse[p * tq + i]) }
                // dV = (P ⊙ M)ᵀ dO; dP = (dO Vᵀ) ⊙ M (M the dropout mask, if any).
                if let mask {
                    for i in 0..<tq {
                        let m = mask + (p * tq + i) * tk, prow = prob + i * ld, drow = dp + i * ld
                        for j in 0..<ld { drow[j] = j < tk ? prow[j] * m[j] : 0 }
                    }
                }
                sgemmCausal(transA: true, transB: false, m: tk, n: head, k: tq, alpha: 1, a: mask == nil ? prob : dp, lda: ld,
                            b: gp, ldb: ldo, c: dv + keys.offset(p), ldc: ldk, band: queriesSeeing, scratch: packed)
                sgemmCausal(transA: false, transB: true, m: tq, n: tk, k: head, alpha: 1, a: gp, lda: ldo, b: vp, ldb: ldk,
                            c: dp, ldc: ld, band: scoreColumns, scratch: packed)
                // dS = P ⊙ (dP − rowsum(P ⊙ dP)), and rowsum(P ⊙ dP) = dO·O.
                for i in 0..<tq {
                    let n = limit(i) + 1, drow = dp + i * ld
                    if let mask {
                        let m = mask + (p * tq + i) * tk
                        for j in 0..<n { drow[j] *= m[j] }
                    }
                    rows.softmaxAdjoint(prob + i * ld, drow, n, rowDot: AttentionRows.dot(gp + i * ldo, op + i * ldo, head))
                }
                // dQ = scale·dS K; dK = scale·dSᵀ Q.
                sgemmCausal(transA: false, transB: false, m: tq, n: head, k: tk, alpha: scale, a: dp, lda: ld, b: kp, ldb: ldk,
                            c: dq + queries.offset(p), ldc: ldq, band: keysSeen, scratch: packed)
                sgemmCausal(transA: true, transB: false, m: tk, n: head, k: tq, alpha: scale, a: dp, lda: ld, b: qp, ldb: ldq,
                            c: dk + keys.offset(p), ldc: ldk, band: queriesSeeing, scratch: packed)
            }
        }
    }
}
