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

/// The sizes of one attention call and its per-(batch, head) loops.
struct AttentionGeometry {
    let pairs: Int, tq: Int, tk: Int, head: Int
    let scale: Float

    /// `row[j] = exp(row[j] − shift)` for the first `n` entries, 16 at a time (libm's scalar `expf`
    /// was 4% of a GPT step).
    @inline(__always) static func exponentiate(_ row: UnsafeMutablePointer<Float>, _ n: Int, minus shift: Float) {
        VectorMath.apply(row, row, count: n, ShiftedExponential(shift: shift))
    }

    /// The last key query row `i` may see.
    @inline(__always) func limit(_ i: Int) -> Int { tk - tq + i }

    /// Pairs per chunk: about 64 KFLOP of work each, so small problems stay on one thread.
    var minChunk: Int { Swift.max(1, 65_536 / Swift.max(1, 4 * tq * tk * head)) }

    func forward(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                 out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>) {
        let chunks = Parallel.chunkCount(pairs, minChunk: minChunk)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks * tq * tk)
        defer { scratch.deallocate() }
        Parallel.forEachChunk(pairs, chunks: chunks) { c, r in
            let s = scratch + c * tq * tk
            for p in r {
                let qp = q + p * tq * head, kp = k + p * tk * head, vp = v + p * tk * head
                sgemm(transA: false, transB: true, m: tq, n: tk, k: head, alpha: scale, a: qp, lda: head, b: kp, ldb: head,
                      c: s, ldc: tk)
                for i in 0..<tq {
                    let row = s + i * tk, n = limit(i) + 1
                    let l = Tensor.rowLogSumExp(row, n)
                    lse[p * tq + i] = l
                    AttentionGeometry.exponentiate(row, n, minus: l)
                    for j in n..<tk { row[j] = 0 }
                    if let mask {
                        let m = mask + (p * tq + i) * tk
                        for j in 0..<n { row[j] *= m[j] }
                    }
                }
                sgemm(transA: false, transB: false, m: tq, n: head, k: tk, a: s, lda: tk, b: vp, ldb: head,
                      c: out + p * tq * head, ldc: head)
            }
        }
    }

    func backward(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
                  out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                  dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>) {
        let chunks = Parallel.chunkCount(pairs, minChunk: minChunk)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks * 2 * tq * tk)
        defer { scratch.deallocate() }
        Parallel.forEachChunk(pairs, chunks: chunks) { c, r in
            let prob = scratch + c * 2 * tq * tk, dp = prob + tq * tk
            for p in r {
                let qp = q + p * tq * head, kp = k + p * tk * head, vp = v + p * tk * head
                let op = out + p * tq * head, gp = dOut + p * tq * head
                // The probabilities again, from the kept log-sum-exp.
                sgemm(transA: false, transB: true, m: tq, n: tk, k: head, alpha: scale, a: qp, lda: head, b: kp, ldb: head,
                      c: prob, ldc: tk)
                for i in 0..<tq {
                    let row = prob + i * tk, n = limit(i) + 1, l = lse[p * tq + i]
                    AttentionGeometry.exponentiate(row, n, minus: l)
                    for j in n..<tk { row[j] = 0 }
                }
                // dV = (P ⊙ M)ᵀ dO; dP = (dO Vᵀ) ⊙ M (M the dropout mask, if any).
                if let mask {
                    let m = mask + p * tq * tk
                    for i in 0..<(tq * tk) { dp[i] = prob[i] * m[i] }
                }
                sgemm(transA: true, transB: false, m: tk, n: head, k: tq, a: mask == nil ? prob : dp, lda: tk, b: gp, ldb: head,
                      c: dv + p * tk * head, ldc: head)
                sgemm(transA: false, transB: true, m: tq, n: tk, k: head, a: gp, lda: head, b: vp, ldb: head, c: dp, ldc: tk)
                if let mask {
                    let m = mask + p * tq * tk
                    for i in 0..<(tq * tk) { dp[i] *= m[i] }
                }
                // dS = P ⊙ (dP − rowsum(P ⊙ dP)), and rowsum(P ⊙ dP) = dO·O.
                for i in 0..<tq {
                    var dot: Float = 0
                    for j in 0..<head { dot += gp[i * head + j] * op[i * head + j] }
                    let prow = prob + i * tk, drow = dp + i * tk
                    for j in 0..<tk { drow[j] = prow[j] * (drow[j] - dot) }
                }
                // dQ = scale·dS K; dK = scale·dSᵀ Q.
                sgemm(transA: false, transB: false, m: tq, n: head, k: tk, alpha: scale, a: dp, lda: tk, b: kp, ldb: head,
                      c: dq + p * tq * head, ldc: head)
                sgemm(transA: true, transB: false, m: tk, n: head, k: tq, alpha: scale, a: dp, lda: tk, b: qp, ldb: head,
                      c: dk + p * tk * head, ldc: head)
            }
        }
    }
}
