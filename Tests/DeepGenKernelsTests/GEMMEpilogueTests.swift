import Testing
@testable import DeepGenKernels

/// `sgemm`'s epilogue reaches every element of C exactly once, after its last K slice, with its
/// own column: the result equals the GEMM without it followed by the same function over C, bit
/// for bit, on every path (thin, blocked with A in place or packed, several K slices, several
/// column panels, row and column splits over 1–3 threads).
@Suite(.serialized) struct GEMMEpilogueTests {
    /// (m, n, k, transA, transB); beta is 0 except where noted in `check`.
    static let shapes: [(Int, Int, Int, Bool, Bool)] = [
        (5, 9, 7, false, true),  // thin both ways
        (70, 9, 33, false, true),  // thin N
        (9, 70, 33, false, false),  // thin M
        (33, 65, 257, false, true), (257, 33, 40, true, false), (40, 70, 3, false, false),
        (20, 40, 1100, false, true),  // three K slices
        (17, 1060, 9, false, true),  // several column panels
        (200, 33, 530, true, true),  // several row blocks when A is packed
        (136, 100, 80, false, true), (40, 300, 90, false, true),  // row and column splits
        (768, 384, 128, false, true),  // gpt's attention projection
    ]

    static func check(_ s: (Int, Int, Int, Bool, Bool), beta: Float) {
        let (m, n, k, tA, tB) = s
        var state: UInt64 = UInt64(m * 1_000_003 + n * 1009 + k)
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % (1 << 24)) / Float(1 << 23) - 1
        }
        let a = (0..<(m * k)).map { _ in next() }, b = (0..<(k * n)).map { _ in next() }
        let c0 = (0..<(m * n)).map { _ in next() }
        var plain = c0, fused = c0, visits = [Int32](repeating: 0, count: m * n)
        func finish(_ x: Float, _ column: Int) -> Float { (x * 0.75 - Float(column)).squareRoot() }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                plain.withUnsafeMutableBufferPointer { pc in
                    sgemm(transA: tA, transB: tB, m: m, n: n, k: k, a: pa.baseAddress!, lda: tA ? m : k,
                          b: pb.baseAddress!, ldb: tB ? k : n, beta: beta, c: pc.baseAddress!, ldc: n)
                }
                fused.withUnsafeMutableBufferPointer { pc in
                    visits.withUnsafeMutableBufferPointer { pv in
                        let base = pc.baseAddress!, counts = pv.baseAddress!
                        let epilogue = GEMMEpilogue { row, column, count in
                            // (No #expect here: this runs on the worker threads too.)
                            let offset = row - base, wrongColumn: Int32 = offset % n == column ? 0 : 100
                            for j in 0..<count {
                                row[j] = finish(row[j], column + j)
                                counts[offset + j] += 1 + wrongColumn
                            }
                        }
                        sgemm(transA: tA, transB: tB, m: m, n: n, k: k, a: pa.baseAddress!, lda: tA ? m : k,
                              b: pb.baseAddress!, ldb: tB ? k : n, beta: beta, c: base, ldc: n, epilogue: epilogue)
                    }
                }
            }
        }
        for i in 0..<m { for j in 0..<n { plain[i * n + j] = finish(plain[i * n + j], j) } }
        #expect(visits.allSatisfy { $0 == 1 }, "\(s): every element once, with its own column")
        let mismatches = zip(plain, fused).filter { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }.count
        #expect(mismatches == 0, "\(s) beta \(beta): \(mismatches) elements differ")
    }

    @Test(arguments: [1, 2, 3]) func everyPathAndThreadCount(_ threads: Int) {
        Parallel.withThreadCount(threads) {
            for s in Self.shapes { Self.check(s, beta: 0) }
            Self.check((20, 40, 1100, false, true), beta: 1)
        }
    }

    @Test func packedA() {
        let saved = GEMMDirectA.enabled
        defer { GEMMDirectA.enabled = saved }
        GEMMDirectA.enabled = false
        for threads in [1, 2] { Parallel.withThreadCount(threads) { for s in Self.shapes { Self.check(s, beta: 0) } } }
    }

    @Test func emptyProduct() {
        // K = 0: C = 0, then the epilogue.
        var c: [Float] = [.nan, .nan, .nan, .nan, .nan, .nan]
        let none: [Float] = [0]
        sgemm(transA: false, transB: true, m: 2, n: 3, k: 0, a: none, lda: 1, b: none, ldb: 1, c: &c, ldc: 3,
              epilogue: GEMMEpilogue { row, column, count in for j in 0..<count { row[j] += Float(column + j) } })
        #expect(c == [0, 1, 2, 0, 1, 2])
    }
}
