import Testing
@testable import DeepGen
import DeepGenKernels

/// Which stride-2 layers run as stride 1 over pixel phases, and that reading the phases in place
/// equals convolving a phase copy.
@Suite struct StrideTwoRewriteTests {
    func geometry(_ cin: Int, _ h: Int, _ w: Int, k: Int, p: Int, s: Int = 2) -> Conv2DGeometry {
        Conv2DGeometry(inChannels: cin, inHeight: h, inWidth: w, kernelHeight: k, kernelWidth: k,
                       strideH: s, strideW: s, padH: p, padW: p)
    }

    @Test func appliesToTheModelsLayersAndTheFixtureCases() {
        #expect(StrideTwoRewrite(geometry(64, 14, 14, k: 5, p: 2), outChannels: 128) != nil, "DCGAN's second conv")
        #expect(StrideTwoRewrite(geometry(32, 14, 14, k: 4, p: 1), outChannels: 64) != nil, "conv VAE's second conv")
        #expect(StrideTwoRewrite(geometry(4, 10, 8, k: 5, p: 2), outChannels: 16) != nil, "fixture conv2d s2_phases_k5")
        #expect(StrideTwoRewrite(geometry(5, 8, 10, k: 4, p: 1), outChannels: 17) != nil, "fixture conv2d s2_phases_k4")
        #expect(StrideTwoRewrite(geometry(4, 8, 10, k: 5, p: 2), outChannels: 16) != nil, "fixture convT s2_phases_k5")
        #expect(StrideTwoRewrite(geometry(5, 10, 8, k: 4, p: 1), outChannels: 18) != nil, "fixture convT s2_phases_k4")
    }

    @Test func declinesOtherLayers() {
        #expect(StrideTwoRewrite(geometry(1, 28, 28, k: 5, p: 2), outChannels: 64) == nil, "4 phase channels: too few")
        #expect(StrideTwoRewrite(geometry(64, 15, 14, k: 5, p: 2), outChannels: 128) == nil, "odd height")
        #expect(StrideTwoRewrite(geometry(64, 14, 14, k: 3, p: 1), outChannels: 128) == nil, "2×2 phase kernels")
        #expect(StrideTwoRewrite(geometry(64, 14, 14, k: 5, p: 2, s: 1), outChannels: 128) == nil, "stride 1")
        var dilated = geometry(64, 14, 14, k: 5, p: 2)
        dilated.dilationH = 2; dilated.dilationW = 2
        #expect(StrideTwoRewrite(dilated, outChannels: 128) == nil, "dilated")
        #expect(StrideTwoRewrite(geometry(64, 14, 14, k: 5, p: 2), outChannels: 8) == nil, "few output channels")
    }

    @Test func fourByFourPaddingOneRunsAsTwoByTwoOverShiftedPhases() throws {
        let k4 = try #require(StrideTwoRewrite(geometry(32, 14, 14, k: 4, p: 1), outChannels: 64))
        #expect(k4.taps == .shifted && k4.geometry.kernelHeight == 2 && k4.geometry.inputLayout == .shiftedPhases)
        #expect(k4.geometry.outHeight == 7 && k4.geometry.outWidth == 7)
        let k5 = try #require(StrideTwoRewrite(geometry(64, 14, 14, k: 5, p: 2), outChannels: 128))
        #expect(k5.taps == .padded(front: 0) && k5.geometry.kernelHeight == 3 && k5.geometry.inputLayout == .phases)
    }

    /// The stored input's phases as the kernels read them, spelled out: `[N, C, 2h, 2w]` →
    /// `[N, 4C, h, w]` with channel `4c + 2·φy + φx` holding pixels `(2y + φy, 2x + φx)`, or for
    /// shifted phases `[N, 4C, h + 1, w + 1]` holding pixels `(2y − φy, 2x − φx)` (zero outside).
    /// `toPhases: false` is the adjoint (each pixel's entry; a shifted plane's extra pixels dropped).
    func shuffle(_ x: [Float], images n: Int, channels c: Int, h: Int, w: Int, shifted: Bool, toPhases: Bool) -> [Float] {
        let ph = shifted ? h + 1 : h, pw = shifted ? w + 1 : w
        var out = [Float](repeating: 0, count: toPhases ? n * 4 * c * ph * pw : n * c * 4 * h * w)
        for i in 0..<n * c {
            for phase in 0..<4 {
                let fy = phase / 2, fx = phase % 2
                for y in 0..<ph {
                    for x0 in 0..<pw {
                        let sy = shifted ? 2 * y - fy : 2 * y + fy, sx = shifted ? 2 * x0 - fx : 2 * x0 + fx
                        guard sy >= 0, sy < 2 * h, sx >= 0, sx < 2 * w else { continue }
                        let pixel = i * 4 * h * w + sy * 2 * w + sx
                        let phased = ((i * 4 + phase) * ph + y) * pw + x0
                        if toPhases { out[phased] = x[pixel] } else { out[pixel] = x[phased] }
                    }
                }
            }
        }
        return out
    }

    /// The kernels reading phases in place compute exactly what the same stride-1 convolution
    /// computes on an explicit phase copy: forward, input adjoint and weight adjoint, bit for bit
    /// (channel counts that fill one vector block, part of one, and more than one; both rewrites;
    /// sides that leave partial tiles).
    @Test(arguments: [(4, 16, 10, 14, 4), (5, 18, 8, 6, 4), (12, 20, 6, 10, 4), (4, 16, 18, 2, 4),
                      (5, 18, 8, 6, 5), (12, 20, 6, 10, 5)])
    func phaseInputMatchesAPhaseCopy(cin: Int, cout: Int, height: Int, width: Int, kernel: Int) throws {
        let n = 3, h = height / 2, w = width / 2
        let stride2 = geometry(cin, height, width, k: kernel, p: kernel / 2 - 1 + kernel % 2)
        let rewrite = try #require(StrideTwoRewrite(stride2, outChannels: cout))
        let shifted = rewrite.geometry.inputLayout == .shiftedPhases, s = rewrite.geometry.kernelHeight
        // The same stride-1 layer over a stored phase copy (a shifted copy has the padding in it).
        var copy = rewrite.geometry
        copy.inputLayout = .plain
        if shifted { copy.inHeight = h + 1; copy.inWidth = w + 1 }
        #expect(copy.outHeight == h && copy.outWidth == w)
        var rng = RandomGenerator(seed: 7)
        let x = Tensor.normal([n, cin, height, width], using: &rng)
        let wp = Tensor.normal([cout, 4 * cin, s, s], using: &rng)
        let g = Tensor.normal([n, cout, h, w], using: &rng)
        let xp = Tensor(shape: copy.storedInputShape(batch: n),
                        scalars: shuffle(x.scalars, images: n, channels: cin, h: h, w: w, shifted: shifted, toPhases: true))

        // The copy runs the Winograd kernels directly: the dispatcher may send a plain 2×2 layer elsewhere.
        var y = [Float](repeating: .nan, count: n * cout * h * w)
        WinogradConvolution.forward(xp.scalars, wp.scalars, geometry: copy, batch: n, outChannels: cout, output: &y)
        #expect(Tensor.convolve(x, wp, rewrite.geometry).scalars == y)

        var dxp = [Float](repeating: .nan, count: xp.count)
        WinogradConvolution.inputAdjoint(g.scalars, wp.scalars, geometry: copy, batch: n, outChannels: cout, output: &dxp)
        let dx = Tensor.convolveInputAdjoint(g, wp, rewrite.geometry)
        #expect(dx.shape == x.shape)
        #expect(dx.scalars == shuffle(dxp, images: n, channels: cin, h: h, w: w, shifted: shifted, toPhases: false))

        var dw = [Float](repeating: .nan, count: wp.count)
        WinogradConvolution.weightAdjoint(xp.scalars, g.scalars, geometry: copy, batch: n, outChannels: cout, output: &dw)
        #expect(Tensor.convolveWeightAdjoint(x, g, rewrite.geometry, kernel: wp.shape).scalars == dw)
    }

    /// The regrouped 4×4 layer is the plain stride-2 convolution (against a direct double sum).
    @Test func shiftedPhasesEqualTheStrideTwoConvolution() throws {
        let n = 2, cin = 5, cout = 16, side = 10
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.normal([n, cin, side, side], using: &rng), wt = Tensor.normal([cout, cin, 4, 4], using: &rng)
        let y = x.conv2d(weight: wt, stride: 2, padding: 1)
        #expect(StrideTwoRewrite(geometry(cin, side, side, k: 4, p: 1), outChannels: cout)?.taps == .shifted)
        let xs = x.scalars, ws = wt.scalars, o = side / 2
        for i in 0..<n { for co in 0..<cout { for oy in 0..<o { for ox in 0..<o {
            var sum = 0.0, scale = 0.0
            for ci in 0..<cin { for ky in 0..<4 { for kx in 0..<4 {
                let iy = 2 * oy + ky - 1, ix = 2 * ox + kx - 1
                guard iy >= 0, iy < side, ix >= 0, ix < side else { continue }
                let p = Double(xs[((i * cin + ci) * side + iy) * side + ix]) * Double(ws[((co * cin + ci) * 4 + ky) * 4 + kx])
                sum += p; scale += Swift.abs(p)
            } } }
            let got = Double(y.scalars[((i * cout + co) * o + oy) * o + ox])
            #expect(Swift.abs(got - sum) <= 1e-5 * (1 + scale), "output \(i) \(co) \(oy) \(ox)")
        } } } }
    }
}
