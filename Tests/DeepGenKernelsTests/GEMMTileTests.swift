import Testing
@testable import DeepGenKernels

/// Both register tiles of the GEMM — 8×32 for 32-register targets (AVX-512), 6×16 for 16-register
/// ones (AVX2) — and their packing and thin kernels, checked on every machine against naive
/// references: a build uses only one of them, chosen at compile time, so `GEMMTests` alone would
/// leave the other untested wherever CI happens to run.
@Suite struct GEMMTileTests {
    /// Values in [-1, 1) with a fixed pattern (no two neighbours equal, so a misplaced element shows).
    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 &* 7919 &+ seed &* 104_729) % 2003) / 1001.5 - 1 }
    }

    static let tiles: [(mr: Int, nr: Int)] = [(8, 32), (6, 16)]

    @Test(arguments: [false, true], [8, 6])
    func packALayout(transA: Bool, mr: Int) {
        let mc = 2 * mr + 3, kc = 13, lda = (transA ? mc : kc) + 2
        let a = Self.values((transA ? kc : mc) * lda, seed: 1)
        var packed = [Float](repeating: .nan, count: (mc + mr - 1) / mr * mr * kc)
        sgemmPackA(transA: transA, a: a, lda: lda, mc: mc, kc: kc, dst: &packed, tileRows: mr)
        for i in 0..<((mc + mr - 1) / mr * mr) {
            for p in 0..<kc {
                let expected = i < mc ? (transA ? a[p * lda + i] : a[i * lda + p]) : 0
                #expect(packed[(i / mr) * mr * kc + p * mr + i % mr] == expected, "row \(i) k \(p)")
            }
        }
    }

    @Test(arguments: [false, true], [32, 16])
    func packBLayout(transB: Bool, nr: Int) {
        let nc = 2 * nr + 5, kc = 11, ldb = (transB ? kc : nc) + 3
        let b = Self.values((transB ? nc : kc) * ldb, seed: 2)
        var packed = [Float](repeating: .nan, count: (nc + nr - 1) / nr * nr * kc)
        sgemmPackB(transB: transB, b: b, ldb: ldb, kc: kc, nc: nc, dst: &packed, tileColumns: nr)
        for j in 0..<((nc + nr - 1) / nr * nr) {
            for p in 0..<kc {
                let expected = j < nc ? (transB ? b[j * ldb + p] : b[p * ldb + j]) : 0
                #expect(packed[(j / nr) * nr * kc + p * nr + j % nr] == expected, "column \(j) k \(p)")
            }
        }
    }

    /// One full tile from packed panels, and from A in place (rows `lda` apart, k steps 1 apart),
    /// against a double-precision sum, for `beta` 0 (C not read), 1 and another value.
    @Test(arguments: [0, 1], [Float(0), 1, -0.5])
    func microKernels(tile: Int, beta: Float) {
        let (mr, nr) = Self.tiles[tile]
        let kc = 37, ldc = nr + 3, lda = kc + 1, alpha: Float = 1.5
        let a = Self.values(mr * lda, seed: 3), b = Self.values(kc * nr, seed: 4)
        var packedA = [Float](repeating: 0, count: mr * kc)
        sgemmPackA(transA: false, a: a, lda: lda, mc: mr, kc: kc, dst: &packedA, tileRows: mr)
        var packedB = [Float](repeating: 0, count: nr * kc)
        sgemmPackB(transB: false, b: b, ldb: nr, kc: kc, nc: nr, dst: &packedB, tileColumns: nr)
        let c0 = Self.values(mr * ldc, seed: 5).map { beta == 0 ? Float.nan : $0 }
        var expected = c0
        for i in 0..<mr {
            for j in 0..<nr {
                var sum = 0.0
                for p in 0..<kc { sum += Double(a[i * lda + p]) * Double(b[p * nr + j]) }
                expected[i * ldc + j] = Float(Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(c0[i * ldc + j])))
            }
        }
        for direct in [false, true] {
            var c = c0
            a.withUnsafeBufferPointer { pa in
                let r = (0..<8).map { pa.baseAddress! + min($0, mr - 1) * lda }
                switch (mr, direct) {
                case (8, false): sgemmMicroKernel8x32(kc, packedA, packedB, &c, ldc, alpha, beta)
                case (8, true):
                    sgemmMicroKernel8x32Direct(kc, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], 1, packedB, &c, ldc, alpha, beta)
                case (_, false): sgemmMicroKernel6x16(kc, packedA, packedB, &c, ldc, alpha, beta)
                default: sgemmMicroKernel6x16Direct(kc, r[0], r[1], r[2], r[3], r[4], r[5], 1, packedB, &c, ldc, alpha, beta)
                }
            }
            for i in 0..<mr {
                for j in 0..<ldc {
                    let got = c[i * ldc + j], want = expected[i * ldc + j]
                    if j >= nr {
                        #expect(got.isNaN == want.isNaN && (got.isNaN || got == want), "padding (\(i), \(j)) written")
                    } else {
                        #expect(abs(got - want) <= 1e-5 * Float(kc).squareRoot() * max(1, abs(want)), "\(mr)×\(nr) direct \(direct) (\(i), \(j)): \(got) vs \(want)")
                    }
                }
            }
        }
    }

    /// The thin path's dot kernels of both targets, K with and without a vector remainder and with
    /// odd 16-float blocks: near a double-precision sum, and the 16-register ones equal to the
    /// 32-register ones bit for bit (the same sums in halves).
    @Test(arguments: [5, 12, 16, 61, 64, 83])
    func dotKernels(k: Int) {
        let x = (0..<8).map { Self.values(k, seed: 10 + $0) }, y = (0..<4).map { Self.values(k, seed: 20 + $0) }
        func dot(_ u: [Float], _ v: [Float]) -> Float { Float(zip(u, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }) }
        let tol = 1e-5 * Float(k).squareRoot()
        var wide = [Float](repeating: .nan, count: 16), narrow = [Float](repeating: .nan, count: 16)
        dot4x4(k, x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3], &wide)
        narrow.withUnsafeMutableBufferPointer { out in
            for i in 0..<4 { dot1x4Halves(k, x[i], y[0], y[1], y[2], y[3], out.baseAddress! + 4 * i) }
        }
        for i in 0..<4 {
            for j in 0..<4 { #expect(abs(wide[i * 4 + j] - dot(x[i], y[j])) <= tol, "dot4x4 (\(i), \(j))") }
        }
        #expect(narrow == wide)
        dot8x1(k, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], y[0], &wide)
        narrow.withUnsafeMutableBufferPointer { out in
            for i in stride(from: 0, to: 8, by: 2) { dot2x1Halves(k, x[i], x[i + 1], y[0], out.baseAddress! + i) }
        }
        for i in 0..<8 { #expect(abs(wide[i] - dot(x[i], y[0])) <= tol, "dot8x1 \(i)") }
        #expect(Array(narrow[0..<8]) == Array(wide[0..<8]))
    }

    /// The implicit convolution's panels for either tile width equal the column matrix packed.
    @Test(arguments: [32, 16])
    func convolutionPanels(nr: Int) {
        let g = Conv2DGeometry(inChannels: 3, inHeight: 9, inWidth: 7, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 1, padH: 1, padW: 1)
        let batch = 2, n = batch * g.outHeight * g.outWidth, k = g.patchSize
        let x = Self.values(batch * g.inChannels * g.inHeight * g.inWidth, seed: 6)
        var columns = [Float](repeating: 0, count: k * n)
        im2col(x, geometry: g, batch: batch, output: &columns)
        let pc = 4, kc = k - 7, jc = 5, nc = n - 9
        var expected = [Float](repeating: .nan, count: (nc + nr - 1) / nr * nr * kc), got = expected
        columns.withUnsafeBufferPointer {
            sgemmPackB(transB: false, b: $0.baseAddress! + pc * n + jc, ldb: n, kc: kc, nc: nc, dst: &expected, tileColumns: nr)
        }
        x.withUnsafeBufferPointer {
            ConvolutionColumns(input: $0.baseAddress!, geometry: g, batch: batch).pack(rows: pc, kc, columns: jc, nc, into: &got, tileColumns: nr)
        }
        #expect(got == expected)
    }
}

extension GEMMTileTests {
    /// The two tiles sum each element's products in the same order (one fused multiply-add per k
    /// step, then the same alpha/beta update), so where they overlap they agree bit for bit: the
    /// blocked GEMM gives the same results on AVX2 and AVX-512 machines.
    @Test(arguments: [Float(0), 1, 0.25])
    func tilesAgreeExactly(beta: Float) {
        let kc = 53, ldc = 40
        let a = Self.values(8 * kc, seed: 7), b = Self.values(kc * 32, seed: 8), c0 = Self.values(8 * ldc, seed: 9)
        var wideA = [Float](repeating: 0, count: 8 * kc), narrowA = [Float](repeating: 0, count: 6 * kc)
        sgemmPackA(transA: false, a: a, lda: kc, mc: 8, kc: kc, dst: &wideA, tileRows: 8)
        sgemmPackA(transA: false, a: a, lda: kc, mc: 6, kc: kc, dst: &narrowA, tileRows: 6)
        var wideB = [Float](repeating: 0, count: 32 * kc), narrowB = [Float](repeating: 0, count: 16 * kc)
        sgemmPackB(transB: false, b: b, ldb: 32, kc: kc, nc: 32, dst: &wideB, tileColumns: 32)
        sgemmPackB(transB: false, b: b, ldb: 32, kc: kc, nc: 16, dst: &narrowB, tileColumns: 16)
        var wide = c0, narrow = c0
        sgemmMicroKernel8x32(kc, wideA, wideB, &wide, ldc, -0.75, beta)
        sgemmMicroKernel6x16(kc, narrowA, narrowB, &narrow, ldc, -0.75, beta)
        for i in 0..<6 {
            for j in 0..<16 { #expect(wide[i * ldc + j] == narrow[i * ldc + j], "(\(i), \(j))") }
        }
    }
}
