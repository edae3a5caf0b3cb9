import Testing
@testable import DeepGenKernels

/// `sgemmCausal`: within its band, the values `sgemm` gives (bit for bit where `sgemm` takes its
/// blocked path, to rounding against the naive reference everywhere); entries the band leaves out
/// are untouched past the register tile; an empty k range gives zeros; no reads outside the
/// operands (their padding is NaN).
struct GEMMCausalTests {
    struct Case: CustomStringConvertible, Sendable {
        var m: Int, n: Int, k: Int, transA: Bool, transB: Bool, band: CausalBand
        var description: String { "m\(m) n\(n) k\(k) \(transA ? "T" : "N")\(transB ? "T" : "N") \(band)" }
    }

    /// Attention's six products at a few sizes (queries = keys, fewer queries, odd sizes).
    static var cases: [Case] {
        var all: [Case] = []
        for (tq, tk, head) in [(64, 64, 32), (40, 40, 24), (20, 45, 40), (1, 9, 16), (70, 70, 64), (17, 33, 8)] {
            let shift = tk - tq
            all.append(Case(m: tq, n: tk, k: head, transA: false, transB: true, band: CausalBand(columnsTo: shift)))  // S = QKᵀ
            all.append(Case(m: tq, n: head, k: tk, transA: false, transB: false, band: CausalBand(kTo: shift)))  // O = PV, dQ = dS K
            all.append(Case(m: tk, n: head, k: tq, transA: true, transB: false, band: CausalBand(kFrom: -shift)))  // dV, dK
            all.append(Case(m: tq, n: head, k: tk, transA: false, transB: false, band: CausalBand()))  // no band
        }
        return all
    }

    @Test(arguments: cases) func matchesSGEMMWithinTheBand(_ t: Case) {
        let aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k
        let bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n
        let lda = aCols + 3, ldb = bCols + 5, ldc = t.n + 2
        var state: UInt64 = 0x5EED &+ UInt64(t.m * 1000 + t.n * 10 + t.k)
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % (1 << 24)) / Float(1 << 23) - 1
        }
        // The terms outside a k band are zero in op(A), as the masked probabilities are.
        func inBand(row i: Int, step p: Int) -> Bool {
            (t.band.kFrom.map { p >= i + $0 } ?? true) && (t.band.kTo.map { p <= i + $0 } ?? true)
        }
        var a = [Float](repeating: .nan, count: aRows * lda), b = [Float](repeating: .nan, count: bRows * ldb)
        for i in 0..<t.m {
            for p in 0..<t.k { a[t.transA ? p * lda + i : i * lda + p] = inBand(row: i, step: p) ? next() : 0 }
        }
        for r in 0..<bRows { for j in 0..<bCols { b[r * ldb + j] = next() } }
        let sentinel: Float = 12345
        var causal = [Float](repeating: sentinel, count: t.m * ldc), full = causal, naive = causal
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: sgemmCausalScratchCount(k: t.k, n: t.n))
        defer { scratch.deallocate() }
        let alpha: Float = 0.75
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                sgemmCausal(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                            b: pb.baseAddress!, ldb: ldb, c: &causal, ldc: ldc, band: t.band, scratch: scratch)
                sgemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                      b: pb.baseAddress!, ldb: ldb, c: &full, ldc: ldc)
                Reference.sgemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                                b: pb.baseAddress!, ldb: ldb, beta: 0, c: &naive, ldc: ldc)
            }
        }
        let blocked = t.m > sgemmThinLimit && t.n > sgemmThinLimit
        for i in 0..<t.m {
            let tileLast = min(t.m, (i / gemmMR + 1) * gemmMR) - 1
            let limit = t.band.columnsTo.map { i + $0 } ?? (t.n - 1)
            let written = t.band.columnsTo.map { min(t.n, (tileLast + $0 + gemmNR) / gemmNR * gemmNR) } ?? t.n
            for j in 0..<ldc {
                let got = causal[i * ldc + j]
                if j >= written || j >= t.n {
                    #expect(got == sentinel, "\(t): (\(i), \(j)) past the band was written")
                } else if j <= limit {
                    if blocked { #expect(got == full[i * ldc + j], "\(t): (\(i), \(j)) \(got) vs sgemm's \(full[i * ldc + j])") }
                    #expect(abs(got - naive[i * ldc + j]) <= 1e-5 * Float(t.k).squareRoot(), "\(t): (\(i), \(j)) \(got) vs \(naive[i * ldc + j])")
                }
            }
        }
    }

    @Test func aTileWithNoStepsGetsZeros() {
        // Keys 0…7 only: rows 8… of dV see no query of these 8.
        let m = 24, n = 16, k = 8
        let a = [Float](repeating: 1, count: k * m), b = [Float](repeating: 2, count: k * n)
        var c = [Float](repeating: .nan, count: m * n)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: sgemmCausalScratchCount(k: k, n: n))
        defer { scratch.deallocate() }
        sgemmCausal(transA: true, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: m, b: b, ldb: n, c: &c, ldc: n,
                    band: CausalBand(kFrom: 0), scratch: scratch)
        // A tile sums from its first row's start (the steps before a later row's start are the
        // band's zeros in real use; here they are ones): the first tile sums all 8 steps.
        for i in 0..<m {
            #expect(c[i * n ..< (i + 1) * n].allSatisfy { $0 == (i < k ? Float(2 * k) : 0) }, "row \(i)")
        }
    }
}
