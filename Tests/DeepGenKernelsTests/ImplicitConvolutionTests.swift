import Testing
@testable import DeepGenKernels

/// The implicit-GEMM convolution (B panels packed straight from the images) against the
/// column matrix route it replaces: the same products in the same order, so equal bit for bit.
@Suite struct ImplicitConvolutionTests {
    static let cases: [(Conv2DGeometry, batch: Int, m: Int)] = [
        (Conv2DGeometry(inChannels: 3, inHeight: 14, inWidth: 14, kernelHeight: 4, kernelWidth: 4, strideH: 2, strideW: 2, padH: 1, padW: 1), 5, 24),
        (Conv2DGeometry(inChannels: 2, inHeight: 9, inWidth: 11, kernelHeight: 5, kernelWidth: 5, strideH: 2, strideW: 2, padH: 2, padW: 2), 4, 40),
        (Conv2DGeometry(inChannels: 5, inHeight: 7, inWidth: 7, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 9, 17),
        (Conv2DGeometry(inChannels: 2, inHeight: 10, inWidth: 13, kernelHeight: 3, kernelWidth: 2, strideH: 3, strideW: 1, padH: 2, padW: 0, dilationH: 2, dilationW: 3), 3, 33),
        (Conv2DGeometry(inChannels: 1, inHeight: 28, inWidth: 28, kernelHeight: 4, kernelWidth: 4, strideH: 2, strideW: 2, padH: 1, padW: 1), 8, 32),
    ]

    @Test(arguments: 0..<cases.count)
    func equalsColumnMatrixRoute(_ index: Int) {
        let (g, batch, m) = Self.cases[index]
        let n = batch * g.outHeight * g.outWidth, k = g.patchSize
        let x = (0..<(batch * g.inChannels * g.inHeight * g.inWidth)).map { Float(($0 * 7919) % 101) / 50 - 1 }
        let a = (0..<(m * k)).map { Float(($0 * 104729) % 89) / 44 - 1 }
        var columns = [Float](repeating: 0, count: k * n)
        im2col(x, geometry: g, batch: batch, output: &columns)
        var expected = [Float](repeating: .nan, count: m * n)
        for threads in [1, 2] {
            Parallel.withThreadCount(threads) {
                sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: columns, ldb: n, c: &expected, ldc: n)
                var implicit = [Float](repeating: .nan, count: m * n)
                sgemmConvolution(m: m, a: a, lda: k, input: x, geometry: g, batch: batch, c: &implicit, ldc: n)
                #expect(implicit == expected, "\(g) batch \(batch) m \(m) threads \(threads)")
            }
        }
    }
}
