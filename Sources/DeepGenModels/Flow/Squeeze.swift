import DeepGen
import DeepGenNN

/// RealNVP's squeeze: each 2×2 block of pixels becomes 4 channels, `[N, C, H, W]` →
/// `[N, 4C, H/2, W/2]` (channel `4c + 2i + j` holds pixel `(2y + i, 2x + j)` of channel `c`, the
/// order of `pixel_unshuffle`). A permutation: `log |det J| = 0`.
public final class Squeeze: Module, FlowLayer {
    public var kind: String { "squeeze" }

    public override init() {}

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        precondition(x.rank == 4 && x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0, "[Squeeze] input \(x.shape) is not [N, C, H, W] with even H and W")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let y = x.reshaped([n, c, h / 2, 2, w / 2, 2]).permuted(0, 1, 3, 5, 2, 4).reshaped([n, 4 * c, h / 2, w / 2])
        return (y, Tensor(zeros: [n]))
    }

    public func inverse(_ y: Tensor) -> Tensor {
        precondition(y.rank == 4 && y.shape[1] % 4 == 0, "[Squeeze] input \(y.shape) is not [N, 4C, H, W]")
        let (n, c4, h, w) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        return y.reshaped([n, c4 / 4, 2, 2, h, w]).permuted(0, 1, 4, 2, 5, 3).reshaped([n, c4 / 4, 2 * h, 2 * w])
    }
}
