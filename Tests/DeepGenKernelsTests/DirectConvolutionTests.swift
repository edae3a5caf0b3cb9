import Testing
@testable import DeepGenKernels

/// The direct few-output-channel convolution against plain loops, on awkward geometries
/// (strides 1–3, padding, rectangular kernels, outputs narrower and wider than a vector).
@Suite struct DirectConvolutionTests {
    static let cases: [(Conv2DGeometry, batch: Int, cout: Int)] = [
        (Conv2DGeometry(inChannels: 3, inHeight: 34, inWidth: 34, kernelHeight: 7, kernelWidth: 7), 2, 1),
        (Conv2DGeometry(inChannels: 2, inHeight: 7, inWidth: 9, kernelHeight: 4, kernelWidth: 4, padH: 1, padW: 1), 3, 1),
        (Conv2DGeometry(inChannels: 3, inHeight: 9, inWidth: 20, kernelHeight: 3, kernelWidth: 5, padH: 2, padW: 4), 2, 4),
        (Conv2DGeometry(inChannels: 2, inHeight: 11, inWidth: 37, kernelHeight: 5, kernelWidth: 5, strideH: 2, strideW: 2, padH: 2, padW: 2), 2, 2),
        (Conv2DGeometry(inChannels: 1, inHeight: 10, inWidth: 10, kernelHeight: 3, kernelWidth: 2, strideH: 1, strideW: 3, padH: 1, padW: 1), 1, 3),
        // 3×3 with each block of output channels (4, 2, 1; 3 = 2 + 1) and RealNVP's 32 → 2 output layer.
        (Conv2DGeometry(inChannels: 5, inHeight: 9, inWidth: 19, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 2, 3),
        (Conv2DGeometry(inChannels: 3, inHeight: 6, inWidth: 17, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2, padH: 1, padW: 1), 3, 4),
        (Conv2DGeometry(inChannels: 32, inHeight: 28, inWidth: 28, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 2, 2),
        (Conv2DGeometry(inChannels: 7, inHeight: 5, inWidth: 5, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1), 3, 1),
    ]

    /// y[n, co, oy, ox] = Σ w[co, ci, ky, kx] · x[n, ci, oy·sh + ky − ph, ox·sw + kx − pw].
    func naive(_ g: Conv2DGeometry, batch: Int, cout: Int, _ visit: (_ xi: Int, _ wi: Int, _ yi: Int) -> Void) {
        for n in 0..<batch {
            for co in 0..<cout {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        for ci in 0..<g.inChannels {
                            for ky in 0..<g.kernelHeight {
                                for kx in 0..<g.kernelWidth {
                                    let iy = oy * g.strideH + ky - g.padH, ix = ox * g.strideW + kx - g.padW
                                    guard iy >= 0, iy < g.inHeight, ix >= 0, ix < g.inWidth else { continue }
                                    visit(((n * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix,
                                          ((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx,
                                          ((n * cout + co) * g.outHeight + oy) * g.outWidth + ox)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= 1e-4 * (1 + Swift.abs($1)) }
    }

    @Test(arguments: 0..<cases.count)
    func matchesNaiveLoops(_ index: Int) {
        let (g, batch, cout) = Self.cases[index]
        let x = (0..<(batch * g.inChannels * g.inHeight * g.inWidth)).map { Float(($0 * 7919) % 101) / 50 - 1 }
        let w = (0..<(cout * g.patchSize)).map { Float(($0 * 104729) % 89) / 44 - 1 }
        let dy = (0..<(batch * cout * g.outHeight * g.outWidth)).map { Float(($0 * 31) % 53) / 26 - 1 }
        var y = [Float](repeating: 0, count: dy.count), dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        naive(g, batch: batch, cout: cout) { xi, wi, yi in
            y[yi] += w[wi] * x[xi]; dx[xi] += w[wi] * dy[yi]; dw[wi] += dy[yi] * x[xi]
        }
        for threads in [1, 2] {
            Parallel.withThreadCount(threads) {
                #expect(DirectConvolution.applies(outChannels: cout, geometry: g))
                var fast = [Float](repeating: .nan, count: y.count)
                DirectConvolution.forward(x, w, geometry: g, batch: batch, outChannels: cout, output: &fast)
                #expect(close(fast, y), "forward \(g) threads \(threads)")
                var fastW = [Float](repeating: .nan, count: w.count)
                DirectConvolution.weightAdjoint(x, dy, geometry: g, batch: batch, outChannels: cout, output: &fastW)
                #expect(close(fastW, dw), "weight adjoint \(g) threads \(threads)")
                if DirectConvolution.appliesToInputAdjoint(outChannels: cout, geometry: g) {
                    var fastX = [Float](repeating: .nan, count: x.count)
                    DirectConvolution.inputAdjoint(dy, w, geometry: g, batch: batch, outChannels: cout, output: &fastX)
                    #expect(close(fastX, dx), "input adjoint \(g) threads \(threads)")
                }
            }
        }
    }

    @Test func thresholds() {
        let g = Conv2DGeometry(inChannels: 2, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2)
        #expect(DirectConvolution.applies(outChannels: DirectConvolution.maxOutChannels, geometry: g))
        #expect(!DirectConvolution.applies(outChannels: DirectConvolution.maxOutChannels + 1, geometry: g))
        // Four outputs from many inputs give way; fewer outputs do not.
        var wide = g; wide.inChannels = DirectConvolution.maxInChannelsAtMaxOut + 1
        #expect(!DirectConvolution.applies(outChannels: DirectConvolution.maxOutChannels, geometry: wide))
        #expect(DirectConvolution.applies(outChannels: DirectConvolution.maxOutChannels - 1, geometry: wide))
        #expect(!DirectConvolution.appliesToInputAdjoint(outChannels: 1, geometry: g), "stride 2")
        let dilated = Conv2DGeometry(inChannels: 2, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3, dilationH: 2, dilationW: 2)
        #expect(!DirectConvolution.applies(outChannels: 1, geometry: dilated))
    }
}
