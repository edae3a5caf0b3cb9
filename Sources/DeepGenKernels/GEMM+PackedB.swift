/// A right-hand matrix op(B) packed once for many products `C = alpha·op(A)·B + beta·C` with
/// different A: a recurrent layer multiplies every time step's state by the same weight, and
/// ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` would repack (and, for a stored
/// `N×K` weight, transpose) it at every step — 64K floats against 6.5 MFLOP for an LSTM of 128
/// units on 50 sequences.
///
/// Products give the same numbers as ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
/// bit for bit: where `sgemm` would take its thin path or op(B) is more than one packing block,
/// ``multiply(transA:m:alpha:a:lda:beta:c:ldc:)`` calls `sgemm` on the original B, which must
/// therefore stay alive and unchanged while this object is used.
public final class SGEMMPackedB {
    public let k: Int, n: Int
    let transB: Bool
    let b: UnsafePointer<Float>, ldb: Int
    /// The panels, or nil where products go through `sgemm`.
    let packed: UnsafeMutablePointer<Float>?

    /// Packs op(B), `k × n` (`b` stored `K×N` with row stride `ldb`, or `N×K` when `transB`).
    public init(transB: Bool, b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) {
        require(k >= 0 && n >= 0 && ldb >= (transB ? k : n), "[sgemm] packed B: bad size k=\(k) n=\(n) ldb=\(ldb)")
        self.k = k; self.n = n; self.transB = transB; self.b = b; self.ldb = ldb
        if k > 0 && n > sgemmThinLimit && sgemmFitsOneBlock(k: k, n: n) {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: sgemmPackedBCount(k: k, n: n))
            sgemmPackAllB(transB: transB, b: b, ldb: ldb, k: k, n: n, dst: p)
            packed = p
        } else {
            packed = nil
        }
    }

    deinit { packed?.deallocate() }

    /// `C = alpha·op(A)·op(B) + beta·C` for `op(A)` of `m × k` (`a` stored `M×K`, or `K×M` when
    /// `transA`). Threads split the columns (whole micro-panels), each reading the shared panels.
    public func multiply(transA: Bool, m: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                         beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard let packed, m > sgemmThinLimit, alpha != 0 else {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
            return
        }
        require(ldc >= n && lda >= (transA ? m : k), "[sgemm] leading dimension too small: m=\(m) n=\(n) k=\(k) lda=\(lda) ldc=\(ldc)")
        let panels = (n + gemmNR - 1) / gemmNR
        let threads = 2 * m * n * k >= sgemmMinParallelFlops ? min(Parallel.threadCount, panels) : 1
        Parallel.forEachChunk(panels, chunks: threads) { _, range in
            let j0 = range.lowerBound * gemmNR, j1 = min(n, range.upperBound * gemmNR)
            sgemmBlocked(transA: transA, transB: transB, m: m, n: j1 - j0, k: k, alpha: alpha, a: a, lda: lda,
                         b: transB ? b + j0 * ldb : b + j0, ldb: ldb, beta: beta, c: c + j0, ldc: ldc,
                         prepackedB: packed + j0 * k)
        }
    }
}
