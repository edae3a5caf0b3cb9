// Causal attention's products: small operands that sit in cache, half of whose terms are zeros
// of the causal mask. `sgemm` would run them through its blocking, scratch and thread decisions
// and multiply the zeros; here B is packed once into caller-owned scratch and each tile of C runs
// the register-tile micro-kernel over only the k steps (and column panels) its rows can need.

/// Which part of a product a causal mask leaves: row `r` of C needs k steps `r + kFrom ... r +
/// kTo` and columns `0 ... r + columnsTo` (nil: no limit). Everything outside is a zero term or an
/// entry the caller masks.
public struct CausalBand: Sendable, Equatable {
    public var kFrom: Int?, kTo: Int?, columnsTo: Int?

    public init(kFrom: Int? = nil, kTo: Int? = nil, columnsTo: Int? = nil) {
        self.kFrom = kFrom; self.kTo = kTo; self.columnsTo = columnsTo
    }
}

/// Floats of scratch ``sgemmCausal(transA:transB:m:n:k:alpha:a:lda:b:ldb:c:ldc:band:scratch:)``
/// needs for a `k × n` op(B).
public func sgemmCausalScratchCount(k: Int, n: Int) -> Int { sgemmPackedBCount(k: k, n: n) }

/// `C = alpha · op(A) · op(B)` (`M×K` by `K×N`, layouts as in ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:epilogue:)``)
/// on the calling thread, where the terms outside `band` are zero: each tile of C sums only the
/// k steps its rows need, in the order `sgemm` sums them, so every entry within the band is the
/// value `sgemm` gives (a zero may differ in sign). Columns past a tile's last row's `columnsTo`
/// are left as they were (those before it in the same register tile may be written); a tile whose
/// k range is empty gets zeros. `scratch` holds
/// ``sgemmCausalScratchCount(k:n:)`` floats.
public func sgemmCausal(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, band: CausalBand, scratch: UnsafeMutablePointer<Float>
) {
    require(m >= 0 && n >= 0 && k >= 0, "[sgemmCausal] negative size: m=\(m) n=\(n) k=\(k)")
    require(
        ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n),
        "[sgemmCausal] leading dimension too small: m=\(m) n=\(n) k=\(k) lda=\(lda) ldb=\(ldb) ldc=\(ldc)")
    if m == 0 || n == 0 { return }
    sgemmPackB(transB: transB, b: b, ldb: ldb, kc: k, nc: n, dst: scratch)
    // Row i of op(A) starts at a + i·rs; its k steps are ps apart.
    let rs = transA ? 1 : lda, ps = transA ? lda : 1
    withUnsafeTemporaryAllocation(of: Float.self, capacity: gemmMR * gemmNR) { tileBuffer in
        let t = tileBuffer.baseAddress!
        var ir = 0
        while ir < m {
            let mr = min(gemmMR, m - ir), last = ir + mr - 1
            let k0 = band.kFrom.map { max(0, ir + $0) } ?? 0
            let k1 = band.kTo.map { min(k, last + $0 + 1) } ?? k
            let columns = band.columnsTo.map { min(n, max(0, last + $0 + 1)) } ?? n
            if k1 <= k0 {
                for r in 0..<mr { (c + (ir + r) * ldc).update(repeating: 0, count: columns) }
                ir += gemmMR
                continue
            }
            @inline(__always) func row(_ r: Int) -> UnsafePointer<Float> { a + (ir + min(r, mr - 1)) * rs + k0 * ps }
            let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
            let r6 = gemmWideTile ? row(6) : r5, r7 = gemmWideTile ? row(7) : r5
            var jr = 0
            while jr < columns {
                let nr = min(gemmNR, n - jr)
                let bp = scratch + jr * k + k0 * gemmNR
                let cp = c + ir * ldc + jr
                @inline(__always) func tile(_ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
                    if gemmWideTile {
                        sgemmMicroKernel8x32Direct(k1 - k0, r0, r1, r2, r3, r4, r5, r6, r7, ps, bp, c, ldc, alpha, 0)
                    } else {
                        sgemmMicroKernel6x16Direct(k1 - k0, r0, r1, r2, r3, r4, r5, ps, bp, c, ldc, alpha, 0)
                    }
                }
                if mr == gemmMR && nr == gemmNR {
                    tile(cp, ldc)
                } else {
                    tile(t, gemmNR)
                    for r in 0..<mr { (cp + r * ldc).update(from: t + r * gemmNR, count: nr) }
                }
                jr += gemmNR
            }
            ir += gemmMR
        }
    }
}
