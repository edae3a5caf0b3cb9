import Testing
@testable import DeepGenKernels

/// `SGEMMPackedB` gives `sgemm`'s numbers bit for bit, on the packed path and on the shapes it
/// hands back to `sgemm` (thin M or N, B of more than one block), at one and two threads.
@Suite struct GEMMPackedBTests {
    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 &* 7919 &+ seed &* 104_729) % 2003) / 1001.5 - 1 }
    }

    @Test(arguments: [
        [50, 512, 128],  // char-rnn's forward product (M, N, K): packed
        [50, 128, 512],  // its backward product: packed
        [37, 45, 19],  // partial tiles and panels
        [8, 64, 32],  // thin M: sgemm
        [64, 12, 32],  // thin N: sgemm
        [20, 40, 700],  // K beyond one block: sgemm
    ], [1, 2])
    func matchesSGEMM(shape: [Int], threads: Int) {
        for transA in [false, true] {
            for transB in [false, true] { check(shape: shape, transA: transA, transB: transB, threads: threads) }
        }
    }

    func check(shape: [Int], transA: Bool, transB: Bool, threads: Int) {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2
        let a = Self.values((transA ? k : m) * lda, seed: 1), b = Self.values((transB ? n : k) * ldb, seed: 2)
        let c0 = Self.values(m * ldc, seed: 3)
        for (alpha, beta) in [(Float(1), Float(0)), (1.5, 1), (1, -0.5)] {
            var expected = c0, got = c0
            Parallel.withThreadCount(threads) {
                sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: &expected, ldc: ldc)
                b.withUnsafeBufferPointer { bp in
                    let packed = SGEMMPackedB(transB: transB, b: bp.baseAddress!, ldb: ldb, k: k, n: n)
                    #expect((packed.packed != nil) == (n > 16 && k <= 512), "which path \(shape) takes")
                    // Twice: the panels are reused, not consumed.
                    for _ in 0..<2 {
                        got = c0
                        packed.multiply(transA: transA, m: m, alpha: alpha, a: a, lda: lda, beta: beta, c: &got, ldc: ldc)
                    }
                }
            }
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta)")
        }
    }
}
