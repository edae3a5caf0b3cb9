import Foundation
import Testing
@testable import DeepGenKernels

/// One sgemm problem: sizes, layouts, scalars and extra row padding of each operand.
struct GEMMCase: CustomStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var transA = false, transB = false
    var alpha: Float = 1, beta: Float = 0
    var padA = 0, padB = 0, padC = 0

    var description: String {
        "m\(m) n\(n) k\(k) \(transA ? "T" : "N")\(transB ? "T" : "N") alpha=\(alpha) beta=\(beta) pad=\(padA),\(padB),\(padC)"
    }
}

/// Deterministic values in [-1, 1).
private struct LCG {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % (1 << 24)) / Float(1 << 23) - 1
    }
}

/// Runs `sgemm` and `Reference.sgemm` on the same random inputs and checks they agree to about
/// `1e-5·sqrt(K)` relative, that C's row padding is untouched, and (for `beta == 0`) that the
/// NaNs prefilled in C do not leak into the result. A and B padding is NaN, so reading outside
/// the logical operands shows up as NaN in C.
private func check(_ t: GEMMCase, seed: UInt64 = 1) {
    let aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k
    let bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n
    let lda = aCols + t.padA, ldb = bCols + t.padB, ldc = t.n + t.padC
    var rng = LCG(state: seed &* 0x9E37_79B9_7F4A_7C15 &+ 12345)
    var a = [Float](repeating: .nan, count: max(1, aRows * lda))
    var b = [Float](repeating: .nan, count: max(1, bRows * ldb))
    for r in 0..<aRows { for cc in 0..<aCols { a[r * lda + cc] = rng.next() } }
    for r in 0..<bRows { for cc in 0..<bCols { b[r * ldb + cc] = rng.next() } }
    let sentinel: Float = 12345
    var c = [Float](repeating: sentinel, count: max(1, t.m * ldc))
    for i in 0..<t.m { for j in 0..<t.n { c[i * ldc + j] = t.beta == 0 ? .nan : rng.next() } }
    var expected = c
    for i in 0..<expected.count where expected[i].isNaN { expected[i] = 0 }

    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                sgemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                      a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                      beta: t.beta, c: pc.baseAddress!, ldc: ldc)
            }
            expected.withUnsafeMutableBufferPointer { pe in
                Reference.sgemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                                a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                beta: t.beta, c: pe.baseAddress!, ldc: ldc)
            }
        }
    }

    let tol = 1e-5 * Float(max(1, t.k)).squareRoot()
    var bad = 0
    for i in 0..<t.m {
        for j in 0..<ldc {
            let got = c[i * ldc + j], want = expected[i * ldc + j]
            if j >= t.n {
                if got != sentinel { bad += 1 }
            } else if !(abs(got - want) <= tol * max(1, abs(want))) {
                bad += 1
                if bad <= 3 { Issue.record("\(t): C[\(i),\(j)] = \(got), expected \(want)") }
            }
        }
    }
    #expect(bad == 0, "\(t): \(bad) wrong elements (incl. padding)")
}

/// All four transpose combinations of `base`.
private func allTransposes(_ base: GEMMCase) -> [GEMMCase] {
    [(false, false), (false, true), (true, false), (true, true)].map {
        var t = base; t.transA = $0.0; t.transB = $0.1; return t
    }
}

private let awkwardSizes: [(Int, Int, Int)] = [
    (1, 1, 1), (7, 7, 7), (33, 33, 33), (17, 17, 1), (40, 70, 3), (33, 65, 257), (257, 33, 40),
    (100, 37, 300), (24, 96, 64), (64, 64, 16), (70, 200, 45),
]

private let blockedCases: [GEMMCase] = awkwardSizes.flatMap { s in
    allTransposes(GEMMCase(m: s.0, n: s.1, k: s.2))
}

/// Larger than one cache block in K (KC), N (NC) and M (MC), so the K slices that accumulate into
/// C with beta = 1 and the panel loops are exercised.
private let multiBlockCases: [GEMMCase] =
    allTransposes(GEMMCase(m: 20, n: 40, k: 1100, alpha: 0.5, beta: -1, padA: 1, padB: 2, padC: 3))
    + allTransposes(GEMMCase(m: 17, n: 1060, k: 9, beta: 0))
    + allTransposes(GEMMCase(m: 200, n: 33, k: 530, beta: 0))

private let scalarCases: [GEMMCase] = [(Float(1), Float(0)), (1, 1), (0.5, -1.5), (-2, 0), (1.25, 1)]
    .flatMap { ab in
        allTransposes(GEMMCase(m: 45, n: 67, k: 29, alpha: ab.0, beta: ab.1, padA: 3, padB: 5, padC: 7))
    }

private let thinCases: [GEMMCase] = {
    var cases: [GEMMCase] = []
    for d in [1, 2, 3, 4, 5, 8, 9, 15, 16] {
        for t in allTransposes(GEMMCase(m: 70, n: d, k: 33, alpha: 0.75, beta: 0.5, padA: 1, padB: 2, padC: 3)) {
            cases.append(t)
            var u = t; u.m = d; u.n = 70; cases.append(u)
        }
    }
    // Matrix-vector with a long K and a K that is not a multiple of 16; long thin N with a ragged tail.
    cases += allTransposes(GEMMCase(m: 64, n: 1, k: 300))
    cases += allTransposes(GEMMCase(m: 1, n: 64, k: 299))
    cases += allTransposes(GEMMCase(m: 3, n: 131, k: 5, beta: 1, padC: 1))
    cases += allTransposes(GEMMCase(m: 131, n: 3, k: 5, beta: 1, padC: 1))
    cases += allTransposes(GEMMCase(m: 16, n: 16, k: 17))
    return cases
}()

@Suite struct GEMMTests {
    @Test(arguments: blockedCases) func blockedShapes(_ t: GEMMCase) { check(t) }

    @Test(arguments: multiBlockCases) func multipleCacheBlocks(_ t: GEMMCase) {
        let blk = GEMMBlocking.current
        #expect(max(t.k / blk.kc, t.n / blk.nc, t.m / blk.mc) >= 1)
        check(t)
    }

    @Test(arguments: scalarCases) func alphaBetaAndStrides(_ t: GEMMCase) { check(t) }

    /// The B panel's width from the L2 size: half of a 2 MiB L2 (Intel Xeon) is 512 columns of
    /// KC = 512; AMD's 0.5–1 MiB, an unknown size or a 4 MiB L2 keep 1024; always whole tiles.
    @Test func panelWidthFollowsTheLevel2Cache() {
        #expect(GEMMBlocking.panelColumns(level2Bytes: 2 << 20, kc: 512, tileColumns: 32) == 512)
        #expect(GEMMBlocking.panelColumns(level2Bytes: 3 << 20, kc: 512, tileColumns: 32) == 768)
        #expect(GEMMBlocking.panelColumns(level2Bytes: 3 << 20, kc: 512, tileColumns: 16) == 768)
        #expect(GEMMBlocking.panelColumns(level2Bytes: (2 << 20) + 40_000, kc: 512, tileColumns: 32) == 512)
        for l2 in [0, 512 << 10, 1 << 20, 4 << 20, 32 << 20] {
            #expect(GEMMBlocking.panelColumns(level2Bytes: l2, kc: 512, tileColumns: 32) == 1024, "L2 \(l2)")
        }
        let current = GEMMBlocking.current
        if ProcessInfo.processInfo.environment["DEEPGEN_GEMM_BLOCKING"] == nil {  // else the override's
            #expect(current.nc % gemmNR == 0 && (512...1024).contains(current.nc))
            #expect(current.nc == GEMMBlocking.panelColumns(level2Bytes: GEMMBlocking.level2CacheBytes, kc: current.kc))
        }
    }

    @Test(arguments: thinCases) func thinShapes(_ t: GEMMCase) { check(t) }

    @Test func largerSquare() {
        check(GEMMCase(m: 257, n: 257, k: 257, alpha: 1, beta: 0.5, padA: 1, padB: 0, padC: 2))
    }

    @Test func degenerate() {
        // K == 0 scales C by beta; alpha == 0 does not read A or B (NaNs there do not leak).
        var c: [Float] = [1, 2, 3, 4]
        let nanA: [Float] = [.nan, .nan, .nan, .nan]
        sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, a: nanA, lda: 1, b: nanA, ldb: 2,
              beta: 2, c: &c, ldc: 2)
        #expect(c == [2, 4, 6, 8])
        sgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 0, a: nanA, lda: 2, b: nanA, ldb: 2,
              beta: 0.5, c: &c, ldc: 2)
        #expect(c == [1, 2, 3, 4])
        var d: [Float] = [.nan, .nan]
        sgemm(transA: false, transB: false, m: 1, n: 2, k: 0, a: nanA, lda: 1, b: nanA, ldb: 2,
              beta: 0, c: &d, ldc: 2)
        #expect(d == [0, 0])
    }
}

/// Runs with 1 and 2 threads on problems big enough to be split (≥ `sgemmMinParallelFlops`),
/// with the count bound to the test (`Parallel.withThreadCount`).
@Suite(.serialized) struct GEMMThreadTests {
    static let cases: [GEMMCase] =
        allTransposes(GEMMCase(m: 136, n: 100, k: 80, alpha: 1.5, beta: 0.25, padA: 2, padB: 1, padC: 3))  // row split
        + allTransposes(GEMMCase(m: 40, n: 300, k: 90, beta: 1))  // column split
        + allTransposes(GEMMCase(m: 300, n: 16, k: 240))  // thin N
        + allTransposes(GEMMCase(m: 9, n: 290, k: 400, alpha: -1))  // thin M

    @Test(arguments: [1, 2]) func threadCounts(_ threads: Int) {
        Parallel.withThreadCount(threads) {
            for t in Self.cases {
                #expect(2 * t.m * t.n * t.k >= max(sgemmMinParallelFlops, sgemmThinMinParallelFlops))
                check(t)
            }
        }
    }

    /// The packed-A path (normally only for transposed A with wide N) on every shape.
    @Test func packedAEverywhere() {
        let saved = GEMMDirectA.enabled
        defer { GEMMDirectA.enabled = saved }
        GEMMDirectA.enabled = false
        for t in blockedCases + multiBlockCases + Self.cases { check(t) }
    }

    /// Bit for bit on 1, 2 and 3 threads, for row and column splits with partial last tiles.
    @Test(arguments: [(72, 96, 200, false), (128, 400, 200, true), (20, 400, 100, false), (130, 40, 300, true), (40, 70, 300, false)])
    func sameResultForAnyThreadCount(_ shape: (Int, Int, Int, Bool)) {
        let (m, n, k, transB) = shape
        var rng = LCG(state: 7)
        let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<(k * n)).map { _ in rng.next() }
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.withThreadCount(threads) {
                var c = [Float](repeating: 0, count: m * n)
                sgemm(transA: false, transB: transB, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: transB ? k : n, c: &c, ldc: n)
                results.append(c)
            }
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
        Parallel.withThreadCount(2) { check(GEMMCase(m: m, n: n, k: k, transB: transB)) }
    }

    /// B packed once up front (`sgemmPackAllB`, as Winograd's per-ξ weights) gives exactly the
    /// product the GEMM computes when it packs B itself, for both layouts of B and ragged N.
    @Test(arguments: [false, true]) func prepackedBMatchesPackingInside(_ transB: Bool) {
        let m = 37, n = 70, k = 130, ldb = transB ? k + 3 : n + 5
        var rng = LCG(state: 11)
        let a = (0..<(m * k)).map { _ in rng.next() }, b = (0..<((transB ? n : k) * ldb)).map { _ in rng.next() }
        #expect(sgemmFitsOneBlock(k: k, n: n))
        var packed = [Float](repeating: .nan, count: sgemmPackedBCount(k: k, n: n))
        var inside = [Float](repeating: .nan, count: m * n), prepacked = inside
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                packed.withUnsafeMutableBufferPointer { pp in
                    sgemmPackAllB(transB: transB, b: pb.baseAddress!, ldb: ldb, k: k, n: n, dst: pp.baseAddress!)
                }
                inside.withUnsafeMutableBufferPointer { pc in
                    sgemmBlocked(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
                                 b: pb.baseAddress!, ldb: ldb, beta: 0, c: pc.baseAddress!, ldc: n)
                }
                // B itself all NaN: only the packed copy may be read.
                let nanB = [Float](repeating: .nan, count: b.count)
                packed.withUnsafeBufferPointer { pp in
                    prepacked.withUnsafeMutableBufferPointer { pc in
                        sgemmBlocked(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: k,
                                     b: nanB, ldb: ldb, beta: 0, c: pc.baseAddress!, ldc: n, prepackedB: pp.baseAddress!)
                    }
                }
            }
        }
        #expect(!inside.contains { $0.isNaN })
        #expect(prepacked == inside)
        #expect(!sgemmFitsOneBlock(k: GEMMBlocking.current.kc + 1, n: n))
    }
}
