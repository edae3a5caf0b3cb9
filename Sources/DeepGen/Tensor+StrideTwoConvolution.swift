import DeepGenKernels

// A stride-2 convolution is a stride-1 convolution of the input's four pixel phases
// (space-to-depth: [N, C, H, W] → [N, 4C, H/2, W/2]) with the kernel's taps regrouped by phase.
// A 4×4 kernel with padding 1 becomes a 2×2 kernel over the phases read shifted by a pixel
// where a phase's taps start one step early (`Conv2DGeometry.InputLayout.shiftedPhases`), so all 16 taps are
// real: Winograd F(4×4, 2×2) multiplies 25 times per 4×4 outputs and phase-channel pair, 6.25 per
// original output instead of 16. A 5×5 kernel with padding 2 becomes a 3×3 kernel with padding 1
// (F(4×4, 3×3): 9 per output instead of 25).
// The kernels read the input's phases in place (`Conv2DGeometry.inputLayout`) and write input
// gradients back in the input's layout, so no phase copy exists; the taps are regrouped by an op
// with its exact adjoint, so gradients of every order follow from the stride-1 convolution's.

/// How a stride-2 layer maps onto a stride-1 one over pixel phases, when it does.
struct StrideTwoRewrite {
    /// How the taps of one axis are regrouped.
    enum Taps: Equatable {
        /// 4×4, padding 1: tap `2j + 1 − φ` → tap `j` (of 2) of phase `φ`, read shifted.
        case shifted
        /// Tap `2j + φ` after `front` zero taps → tap `j` (of 3) of phase `φ`.
        case padded(front: Int)

        /// Phase-kernel side.
        var size: Int { self == .shifted ? 2 : 3 }

        /// The phase and phase tap of original tap `k`.
        func place(_ k: Int) -> (phase: Int, tap: Int) {
            switch self {
            case .shifted: return (1 - k % 2, k / 2)
            case .padded(let f): return ((k + f) % 2, (k + f) / 2)
            }
        }
    }

    let taps: Taps
    /// The stride-1 geometry over the phases.
    let geometry: Conv2DGeometry

    /// `nil` unless the layer has stride 2, no dilation, a square kernel that is 4×4 with padding
    /// 1 or whose phases have 3×3 taps, equal paddings, even input sides, and the stride-1 layer
    /// is one the Winograd kernels take.
    init?(_ g: Conv2DGeometry, outChannels: Int) {
        guard g.strideH == 2, g.strideW == 2, g.dilationH == 1, g.dilationW == 1,
              g.kernelHeight == g.kernelWidth, g.padH == g.padW,
              g.inHeight % 2 == 0, g.inWidth % 2 == 0 else { return nil }
        let k = g.kernelHeight, p = g.padH, f = p % 2, h = g.inHeight / 2, w = g.inWidth / 2
        var s: Conv2DGeometry
        if k == 4 && p == 1 {
            taps = .shifted
            s = Conv2DGeometry(inChannels: 4 * g.inChannels, inHeight: h, inWidth: w, kernelHeight: 2, kernelWidth: 2)
            s.outHeight = h
            s.outWidth = w
            s.inputLayout = .shiftedPhases
        } else {
            guard (k + f + 1) / 2 == 3 else { return nil }
            taps = .padded(front: f)
            s = Conv2DGeometry(inChannels: 4 * g.inChannels, inHeight: h, inWidth: w,
                               kernelHeight: 3, kernelWidth: 3, padH: (p + f) / 2, padW: (p + f) / 2)
            s.inputLayout = .phases
        }
        guard s.outHeight == g.outHeight, s.outWidth == g.outWidth,
              WinogradConvolution.applies(outChannels: outChannels, geometry: s) else { return nil }
        geometry = s
    }

    /// The stride-2 convolution of `x` with `w` through the phases. The kernels read `x`'s phases
    /// in place (`inputPhases`), so there is no phase copy, and the stride-1 primitives'
    /// gradients (of any order) are this layer's.
    func convolve(_ x: Tensor, _ w: Tensor) -> Tensor { Tensor.convolve(x, weight(w), geometry) }

    /// `w [Cout, Cin, k, k]` → `[Cout, 4·Cin, s, s]`: tap `k` of each axis goes to tap
    /// `taps.place(k).tap` of phase channel `4·ci + 2·φy + φx` (unused phase taps zero).
    func weight(_ w: Tensor) -> Tensor { Self.phaseWeights(w, taps: taps) }

    static func phaseWeights(_ w: Tensor, taps: Taps) -> Tensor {
        let co = w.shape[0], ci = w.shape[1], k = w.shape[2], s = taps.size
        let out = Tensor(zeros: [co, 4 * ci, s, s])
        regroup(w.storage.pointer, out.storage.pointer, pairs: co * ci, kernel: k, taps: taps, toPhases: true)
        return Tensor.record("phaseWeights", out, inputs: [w]) { g in [phaseWeightsAdjoint(g, kernel: k, taps: taps)] }
    }

    /// The adjoint of `phaseWeights`: each original tap's entry (zero taps dropped).
    static func phaseWeightsAdjoint(_ g: Tensor, kernel k: Int, taps: Taps) -> Tensor {
        let co = g.shape[0], ci = g.shape[1] / 4
        let out = Tensor(uninitializedShape: [co, ci, k, k])
        regroup(out.storage.pointer, g.storage.pointer, pairs: co * ci, kernel: k, taps: taps, toPhases: false)
        return Tensor.record("phaseWeightsAdjoint", out, inputs: [g]) { u in [phaseWeights(u, taps: taps)] }
    }

    /// Copies every tap of `pairs` `k×k` kernels to or from its place among the pair's `4·s²` phase taps.
    private static func regroup(_ kernels: UnsafeMutablePointer<Float>, _ phases: UnsafeMutablePointer<Float>,
                                pairs: Int, kernel k: Int, taps: Taps, toPhases: Bool) {
        let s = taps.size, places = (0..<k).map(taps.place)
        for pair in 0..<pairs {
            let t = kernels + pair * k * k, p = phases + pair * 4 * s * s
            for ky in 0..<k {
                let (fy, jy) = places[ky]
                for kx in 0..<k {
                    let (fx, jx) = places[kx]
                    let i = ((2 * fy + fx) * s + jy) * s + jx
                    if toPhases { p[i] = t[ky * k + kx] } else { t[ky * k + kx] = p[i] }
                }
            }
        }
    }
}
