import Testing
@testable import DeepGen
import DeepGenKernels

/// Which stride-2 layers run as stride 1 over pixel phases, and that the phase shuffles are
/// inverse permutations.
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

    @Test func phaseShufflesAreInverse() {
        let x = Tensor(shape: [2, 3, 4, 6], scalars: (0..<(2 * 3 * 4 * 6)).map(Float.init))
        let d = StrideTwoRewrite.spaceToDepth(x)
        #expect(d.shape == [2, 12, 2, 3])
        // Channel 4c + 2φy + φx holds pixel (2y + φy, 2x + φx): image 1, channel 2, phase (1, 0), (y, x) = (1, 2).
        #expect(d[1, 4 * 2 + 2, 1, 2] == x[1, 2, 3, 4])
        #expect(StrideTwoRewrite.depthToSpace(d).scalars == x.scalars)
    }
}
