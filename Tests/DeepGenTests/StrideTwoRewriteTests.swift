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

    /// `[N, C, 2h, 2w]` → `[N, 4C, h, w]`, channel `4c + 2·φy + φx` holding pixels `(2y + φy, 2x + φx)`
    /// (`toPhases`), or the inverse: the layout the kernels read in place, spelled out.
    func shuffle(_ x: [Float], images n: Int, channels c: Int, h: Int, w: Int, toPhases: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<n * c {
            for phase in 0..<4 {
                for y in 0..<h {
                    for x0 in 0..<w {
                        let pixel = i * 4 * h * w + (2 * y + phase / 2) * 2 * w + 2 * x0 + phase % 2
                        let phased = (i * 4 + phase) * h * w + y * w + x0
                        if toPhases { out[phased] = x[pixel] } else { out[pixel] = x[phased] }
                    }
                }
            }
        }
        return out
    }

    /// The kernels reading phases in place compute exactly what the same stride-1 convolution
    /// computes on an explicit phase copy: forward, input adjoint and weight adjoint, bit for bit
    /// (channel counts that fill one vector block, part of one, and more than one).
    @Test(arguments: [(4, 16, 10, 14), (5, 18, 8, 6), (12, 20, 6, 10)])
    func phaseInputMatchesAPhaseCopy(cin: Int, cout: Int, height: Int, width: Int) throws {
        let n = 3, h = height / 2, w = width / 2
        let stride2 = geometry(cin, height, width, k: 4, p: 1)
        let rewrite = try #require(StrideTwoRewrite(stride2, outChannels: cout))
        var copy = rewrite.geometry
        copy.inputPhases = false
        var rng = RandomGenerator(seed: 7)
        let x = Tensor.normal([n, cin, height, width], using: &rng)
        let wp = Tensor.normal([cout, 4 * cin, 3, 3], using: &rng)
        let g = Tensor.normal([n, cout, h, w], using: &rng)
        let xp = Tensor(shape: [n, 4 * cin, h, w], scalars: shuffle(x.scalars, images: n, channels: cin, h: h, w: w, toPhases: true))

        #expect(Tensor.convolve(x, wp, rewrite.geometry).scalars == Tensor.convolve(xp, wp, copy).scalars)
        let dx = Tensor.convolveInputAdjoint(g, wp, rewrite.geometry)
        #expect(dx.shape == x.shape)
        #expect(dx.scalars == shuffle(Tensor.convolveInputAdjoint(g, wp, copy).scalars, images: n, channels: cin, h: h, w: w, toPhases: false))
        #expect(Tensor.convolveWeightAdjoint(x, g, rewrite.geometry, kernel: wp.shape).scalars
                == Tensor.convolveWeightAdjoint(xp, g, copy, kernel: wp.shape).scalars)
    }
}
