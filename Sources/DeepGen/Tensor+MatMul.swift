import DeepGenKernels

extension Tensor {
    /// Matrix product `op(self) × op(other)`, where `op` transposes the last two axes when asked.
    ///
    /// 2-D × 2-D, or batched 3-D × 3-D with equal batch sizes. Transposes are folded into the GEMM
    /// call; nothing is copied.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        let a = self, b = other, tA = transposeSelf, tB = transposeOther
        precondition((a.rank == 2 && b.rank == 2) || (a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0]),
                     "[matmul] expects 2-D × 2-D or batched 3-D × 3-D, got \(a.shape) and \(b.shape)")
        let batched = a.rank == 3
        let ar = a.shape.suffix(2), br = b.shape.suffix(2)
        let m = tA ? ar.last! : ar.first!, k = tA ? ar.first! : ar.last!
        let kb = tB ? br.last! : br.first!, n = tB ? br.first! : br.last!
        precondition(k == kb, "[matmul] inner sizes differ: \(a.shape)\(tA ? "ᵀ" : "") × \(b.shape)\(tB ? "ᵀ" : "")")
        let batch = batched ? a.shape[0] : 1
        let out = Tensor(uninitializedShape: batched ? [batch, m, n] : [m, n])
        if k == 0 { out.storage.pointer.update(repeating: 0, count: out.count) }
        for i in 0..<batch where k > 0 {
            sgemm(transA: tA, transB: tB, m: m, n: n, k: k,
                  a: a.storage.pointer + i * m * k, lda: tA ? m : k,
                  b: b.storage.pointer + i * k * n, ldb: tB ? k : n,
                  c: out.storage.pointer + i * m * n, ldc: n)
        }
        return Tensor.record("matmul", out, inputs: [a, b]) { g in
            [a.needsGradient ? (tA ? b.matmul(g, transposeSelf: tB, transposeOther: true)
                                  : g.matmul(b, transposeOther: !tB)) : nil,
             b.needsGradient ? (tB ? g.matmul(a, transposeSelf: true, transposeOther: tA)
                                  : a.matmul(g, transposeSelf: !tA)) : nil]
        }
    }
}
