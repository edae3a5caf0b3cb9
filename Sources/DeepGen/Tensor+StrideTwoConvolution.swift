import DeepGenKernels

// A stride-2 convolution is a stride-1 convolution of the input's four pixel phases
// (space-to-depth: [N, C, H, W] → [N, 4C, H/2, W/2]) with the kernel's taps regrouped by phase:
// a 5×5 kernel with padding 2 (or a 4×4 one with padding 1) becomes a 3×3 kernel with padding 1
// over 4·Cin channels, which the Winograd kernels then run with 2.25 products per output and
// channel pair instead of 9 — 9 per original output instead of 25 (5×5) or 16 (4×4).
// The kernels read the input's phases in place (`Conv2DGeometry.inputPhases`) and write input
// gradients back in the input's layout, so no phase copy exists; the taps are regrouped by an op
// with its exact adjoint, so gradients of every order follow from the stride-1 convolution's.

/// How a stride-2 layer maps onto a stride-1 3×3 one over pixel phases, when it does.
struct StrideTwoRewrite {
    /// Zero taps put before the kernel (1 when the padding is odd) so taps pair up by phase.
    let frontTaps: Int
    /// The stride-1 geometry over the phases.
    let geometry: Conv2DGeometry

    /// `nil` unless the layer has stride 2, no dilation, a square kernel whose phases have 3×3
    /// taps, equal paddings, even input sides, and the stride-1 layer is one the Winograd kernels take.
    init?(_ g: Conv2DGeometry, outChannels: Int) {
        guard g.strideH == 2, g.strideW == 2, g.dilationH == 1, g.dilationW == 1,
              g.kernelHeight == g.kernelWidth, g.padH == g.padW,
              g.inHeight % 2 == 0, g.inWidth % 2 == 0 else { return nil }
        let k = g.kernelHeight, p = g.padH, f = p % 2
        guard (k + f + 1) / 2 == 3 else { return nil }
        var s = Conv2DGeometry(inChannels: 4 * g.inChannels, inHeight: g.inHeight / 2, inWidth: g.inWidth / 2,
                               kernelHeight: 3, kernelWidth: 3, padH: (p + f) / 2, padW: (p + f) / 2)
        s.inputPhases = true
        guard s.outHeight == g.outHeight, s.outWidth == g.outWidth,
              WinogradConvolution.applies(outChannels: outChannels, geometry: s) else { return nil }
        frontTaps = f
        geometry = s
    }

    /// The stride-2 convolution of `x` with `w` through the phases. The kernels read `x`'s phases
    /// in place (`inputPhases`), so there is no phase copy, and the stride-1 primitives'
    /// gradients (of any order) are this layer's.
    func convolve(_ x: Tensor, _ w: Tensor) -> Tensor { Tensor.convolve(x, weight(w), geometry) }

    /// `w [Cout, Cin, k, k]` → `[Cout, 4·Cin, 3, 3]`: tap `2j + φ` (after the front zero taps) of
    /// each axis becomes tap `j` of phase channel `4·ci + 2·φy + φx`.
    func weight(_ w: Tensor) -> Tensor { Self.phaseWeights(w, frontTaps: frontTaps) }

    static func phaseWeights(_ w: Tensor, frontTaps f: Int) -> Tensor {
        let co = w.shape[0], ci = w.shape[1], k = w.shape[2]
        let out = Tensor(zeros: [co, 4 * ci, 3, 3])
        regroup(w.storage.pointer, out.storage.pointer, pairs: co * ci, kernel: k, frontTaps: f, toPhases: true)
        return Tensor.record("phaseWeights", out, inputs: [w]) { g in [phaseWeightsAdjoint(g, kernel: k, frontTaps: f)] }
    }

    /// The adjoint of `phaseWeights`: each original tap's entry (zero taps dropped).
    static func phaseWeightsAdjoint(_ g: Tensor, kernel k: Int, frontTaps f: Int) -> Tensor {
        let co = g.shape[0], ci = g.shape[1] / 4
        let out = Tensor(uninitializedShape: [co, ci, k, k])
        regroup(out.storage.pointer, g.storage.pointer, pairs: co * ci, kernel: k, frontTaps: f, toPhases: false)
        return Tensor.record("phaseWeightsAdjoint", out, inputs: [g]) { u in [phaseWeights(u, frontTaps: f)] }
    }

    /// Copies every tap of `pairs` `k×k` kernels to or from its place among the pair's 36 phase taps.
    private static func regroup(_ taps: UnsafeMutablePointer<Float>, _ phases: UnsafeMutablePointer<Float>,
                                pairs: Int, kernel k: Int, frontTaps f: Int, toPhases: Bool) {
        for pair in 0..<pairs {
            let t = taps + pair * k * k, p = phases + pair * 36
            for ky in 0..<k {
                let jy = (ky + f) / 2, fy = (ky + f) % 2
                for kx in 0..<k {
                    let jx = (kx + f) / 2, fx = (kx + f) % 2
                    let i = (2 * fy + fx) * 9 + jy * 3 + jx
                    if toPhases { p[i] = t[ky * k + kx] } else { t[ky * k + kx] = p[i] }
                }
            }
        }
    }
}
