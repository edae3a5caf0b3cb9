import Testing
@testable import DeepGenKernels

/// Winograd convolution against double-precision loops: both transforms, channel counts that
/// leave partial 16-lane blocks, padding 0…r−1, rectangular planes, several image groups, 1 and
/// 2 threads.
@Suite(.serialized) struct WinogradConvolutionTests {
    static let cases: [(Conv2DGeometry, batch: Int, cout: Int)] = [
        (Conv2DGeometry(inChannels: 16, inHeight: 7, inWidth: 7, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 3, 20),
        (Conv2DGeometry(inChannels: 17, inHeight: 9, inWidth: 9, kernelHeight: 3, kernelWidth: 3), 2, 16),
        (Conv2DGeometry(inChannels: 20, inHeight: 5, inWidth: 6, kernelHeight: 3, kernelWidth: 3, padH: 2, padW: 2), 2, 31),
        (Conv2DGeometry(inChannels: 24, inHeight: 7, inWidth: 7, kernelHeight: 5, kernelWidth: 5, padH: 2, padW: 2), 2, 18),
        (Conv2DGeometry(inChannels: 16, inHeight: 13, inWidth: 10, kernelHeight: 5, kernelWidth: 5, padH: 1, padW: 3), 2, 33),
        (Conv2DGeometry(inChannels: 32, inHeight: 6, inWidth: 6, kernelHeight: 5, kernelWidth: 5, padH: 4, padW: 4), 1, 16),
        (Conv2DGeometry(inChannels: 20, inHeight: 8, inWidth: 11, kernelHeight: 2, kernelWidth: 2), 2, 17),
        (Conv2DGeometry(inChannels: 16, inHeight: 9, inWidth: 6, kernelHeight: 2, kernelWidth: 2, padH: 1, padW: 1), 3, 16),
        // Few output channels from many inputs (Glow's coupling outputs).
        (Conv2DGeometry(inChannels: 64, inHeight: 7, inWidth: 7, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 2, 4),
        (Conv2DGeometry(inChannels: 70, inHeight: 5, inWidth: 6, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 2, 9),
    ]

    /// Results and, per element, the sum of the absolute products (the scale of its rounding).
    struct Reference { var y, dx, dw, yScale, dxScale, dwScale: [Double] }

    func reference(_ g: Conv2DGeometry, batch: Int, cout: Int, x: [Float], w: [Float], dy: [Float]) -> Reference {
        var r = Reference(y: .init(repeating: 0, count: dy.count), dx: .init(repeating: 0, count: x.count),
                          dw: .init(repeating: 0, count: w.count), yScale: .init(repeating: 0, count: dy.count),
                          dxScale: .init(repeating: 0, count: x.count), dwScale: .init(repeating: 0, count: w.count))
        let k = g.kernelHeight
        for n in 0..<batch { for co in 0..<cout { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
            let yi = ((n * cout + co) * g.outHeight + oy) * g.outWidth + ox
            for ci in 0..<g.inChannels { for ky in 0..<k { for kx in 0..<k {
                let iy = oy + ky - g.padH, ix = ox + kx - g.padW
                guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                let xi = ((n * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix
                let wi = ((co * g.inChannels + ci) * k + ky) * k + kx
                let (xv, wv, gv) = (Double(x[xi]), Double(w[wi]), Double(dy[yi]))
                r.y[yi] += wv * xv; r.yScale[yi] += abs(wv * xv)
                r.dx[xi] += wv * gv; r.dxScale[xi] += abs(wv * gv)
                r.dw[wi] += gv * xv; r.dwScale[wi] += abs(gv * xv)
            } } }
        } } } }
        return r
    }

    /// Within 1e-5 of each element's scale (float32 Winograd with 6×6 tiles loses a few bits).
    func close(_ a: [Float], _ b: [Double], scale: [Double]) -> Bool {
        a.count == b.count && a.indices.allSatisfy { Swift.abs(Double(a[$0]) - b[$0]) <= 1e-5 * (1 + scale[$0]) }
    }

    @Test(arguments: 0..<cases.count)
    func matchesReference(_ index: Int) {
        let (g, batch, cout) = Self.cases[index]
        #expect(WinogradConvolution.applies(outChannels: cout, geometry: g))
        let x = (0..<(batch * g.inChannels * g.inHeight * g.inWidth)).map { Float(($0 * 7919) % 101) / 50 - 1 }
        let w = (0..<(cout * g.patchSize)).map { Float(($0 * 104729) % 89) / 44 - 1 }
        let dy = (0..<(batch * cout * g.outHeight * g.outWidth)).map { Float(($0 * 31) % 53) / 26 - 1 }
        let ref = reference(g, batch: batch, cout: cout, x: x, w: w, dy: dy)
        // The default holds the whole batch in one group; 1 float makes one image per group.
        for (threads, chunk) in [(1, WinogradConvolution.groupFloats), (2, WinogradConvolution.groupFloats), (2, 1)] {
            Parallel.withThreadCount(threads) {
                var y = [Float](repeating: .nan, count: dy.count)
                WinogradConvolution.forward(x, w, geometry: g, batch: batch, outChannels: cout, output: &y, groupFloats: chunk)
                #expect(close(y, ref.y, scale: ref.yScale), "forward \(g) threads \(threads) chunk \(chunk)")
                var dx = [Float](repeating: .nan, count: x.count)
                WinogradConvolution.inputAdjoint(dy, w, geometry: g, batch: batch, outChannels: cout, output: &dx, groupFloats: chunk)
                #expect(close(dx, ref.dx, scale: ref.dxScale), "input adjoint \(g) threads \(threads) chunk \(chunk)")
                var dw = [Float](repeating: .nan, count: w.count)
                WinogradConvolution.weightAdjoint(x, dy, geometry: g, batch: batch, outChannels: cout, output: &dw, groupFloats: chunk)
                #expect(close(dw, ref.dw, scale: ref.dwScale), "weight adjoint \(g) threads \(threads) chunk \(chunk)")
            }
        }
    }

    @Test func resultsDoNotDependOnTheThreadCount() {
        let (g, batch, cout) = Self.cases[3]
        let x = (0..<(batch * g.inChannels * g.inHeight * g.inWidth)).map { Float(($0 * 13) % 29) / 14 - 1 }
        let w = (0..<(cout * g.patchSize)).map { Float(($0 * 17) % 31) / 15 - 1 }
        func run(_ threads: Int) -> [Float] {
            return Parallel.withThreadCount(threads) {
                var y = [Float](repeating: 0, count: batch * cout * g.outHeight * g.outWidth)
                WinogradConvolution.forward(x, w, geometry: g, batch: batch, outChannels: cout, output: &y)
                var dw = [Float](repeating: 0, count: w.count)
                WinogradConvolution.weightAdjoint(x, y, geometry: g, batch: batch, outChannels: cout, output: &dw)
                return y + dw
            }
        }
        #expect(run(1) == run(2))
    }

    @Test func emptyBatchHasZeroWeightGradient() {
        let g = Self.cases[0].0
        var dw = [Float](repeating: .nan, count: 20 * g.patchSize)
        WinogradConvolution.weightAdjoint([], [], geometry: g, batch: 0, outChannels: 20, output: &dw)
        #expect(dw.allSatisfy { $0 == 0 })
    }

    /// One-dimensional F(m, r) from the generated matrices equals the direct correlation.
    @Test(arguments: [(2, 3), (4, 3), (6, 3), (2, 5), (4, 5), (3, 2), (4, 2), (2, 7)])
    func transformsComputeCorrelation(_ mr: (Int, Int)) {
        let (m, r) = mr
        let t = WinogradTransform(outputTile: m, kernelSize: r)
        let a = t.tile
        let d = (0..<a).map { Double(($0 * 37) % 11) / 5 - 1 }, w = (0..<r).map { Double(($0 * 53) % 7) / 3 - 1 }
        let gw = (0..<a).map { i in (0..<r).reduce(0.0) { $0 + Double(t.kernelMatrix[i * r + $1]) * w[$1] } }
        let bd = (0..<a).map { i in (0..<a).reduce(0.0) { $0 + Double(t.inputMatrix[i * a + $1]) * d[$1] } }
        for i in 0..<m {
            let fast = (0..<a).reduce(0.0) { $0 + Double(t.outputMatrix[i * a + $1]) * gw[$1] * bd[$1] }
            let direct = (0..<r).reduce(0.0) { $0 + d[i + $1] * w[$1] }
            #expect(Swift.abs(fast - direct) < 1e-5, "F(\(m), \(r)) output \(i)")
        }
    }

    @Test func thresholds() {
        let g = Conv2DGeometry(inChannels: 16, inHeight: 7, inWidth: 7, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1)
        #expect(WinogradConvolution.applies(outChannels: 16, geometry: g))
        #expect(!WinogradConvolution.applies(outChannels: 15, geometry: g))
        var s = g; s.inChannels = 8
        #expect(!WinogradConvolution.applies(outChannels: 16, geometry: s), "few input channels")
        // Fewer than 16 outputs from at least 64 inputs (plain layout), 4 at the least.
        var many = g; many.inChannels = 64
        #expect(WinogradConvolution.applies(outChannels: 4, geometry: many) && !WinogradConvolution.applies(outChannels: 3, geometry: many))
        many.inChannels = 63
        #expect(!WinogradConvolution.applies(outChannels: 8, geometry: many))
        let strided = Conv2DGeometry(inChannels: 16, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2)
        #expect(!WinogradConvolution.applies(outChannels: 16, geometry: strided))
        let wide = Conv2DGeometry(inChannels: 16, inHeight: 8, inWidth: 8, kernelHeight: 4, kernelWidth: 4)
        #expect(!WinogradConvolution.applies(outChannels: 16, geometry: wide), "4×4 kernel")
    }
}

/// The generated 1-D formulas are `WinogradTransform`'s matrices (and their transposes).
@Suite struct WinogradTileFormulaTests {
    /// `f` applied to each unit vector of length `inputs`, as a `outputs × inputs` row-major matrix.
    func matrix(inputs: Int, outputs: Int, _ f: (UnsafePointer<Lanes>, Int, UnsafeMutablePointer<Lanes>, Int) -> Void) -> [Float] {
        var result = [Float](repeating: .nan, count: outputs * inputs)
        let x = UnsafeMutablePointer<Lanes>.allocate(capacity: inputs), y = UnsafeMutablePointer<Lanes>.allocate(capacity: outputs)
        defer { x.deallocate(); y.deallocate() }
        for k in 0..<inputs {
            for i in 0..<inputs { x[i] = i == k ? Lanes(repeating: 1) : .zero }
            f(x, 1, y, 1)
            for i in 0..<outputs { result[i * inputs + k] = y[i][0] }
        }
        return result
    }

    func transposed(_ a: [Float], rows: Int, columns: Int) -> [Float] {
        (0..<columns).flatMap { j in (0..<rows).map { i in a[i * columns + j] } }
    }

    func check<K: WinogradTileKernels>(_: K.Type) {
        let t = WinogradTransform(outputTile: K.outputSize, kernelSize: K.kernelSize)
        let a = K.alpha, m = K.outputSize
        #expect(t.tile == a)
        #expect(matrix(inputs: a, outputs: a, K.input) == t.inputMatrix, "Bᵀ of \(K.self)")
        #expect(matrix(inputs: a, outputs: a, K.inputAdjoint) == transposed(t.inputMatrix, rows: a, columns: a), "B of \(K.self)")
        #expect(matrix(inputs: a, outputs: m, K.output) == t.outputMatrix, "Aᵀ of \(K.self)")
        #expect(matrix(inputs: m, outputs: a, K.outputAdjoint) == transposed(t.outputMatrix, rows: m, columns: a), "A of \(K.self)")
        // G has fractions (1/6, 1/12, …): the generated literals and the Double-derived matrix
        // may round differently in the last bit.
        let r = K.kernelSize
        func near(_ x: [Float], _ y: [Float]) -> Bool { zip(x, y).allSatisfy { Swift.abs($0 - $1) <= 1e-7 * Swift.max(1, Swift.abs($1)) } }
        #expect(near(matrix(inputs: r, outputs: a, K.kernel), t.kernelMatrix), "G of \(K.self)")
        #expect(near(matrix(inputs: a, outputs: r, K.kernelAdjoint), transposed(t.kernelMatrix, rows: a, columns: r)), "Gᵀ of \(K.self)")
    }

    @Test func formulasMatchTheMatrices() {
        check(WinogradF4x2.self)
        check(WinogradF4x3.self)
        check(WinogradF4x5.self)
    }
}
