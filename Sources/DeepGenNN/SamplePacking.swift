import DeepGen

/// A discriminator that judges packs of consecutive samples together (PacGAN, Lin et al. 2018):
/// one decision per `packing` samples, all real or all fake, so that a generator short of
/// variety shows it within a pack.
public protocol SamplePacking: AnyObject {
    /// Samples per pack; 1 judges each sample alone.
    var packing: Int { get }
}

extension SamplePacking {
    /// `x` `[N, F…]` as `[N / packing, packing·F₀, F…]`: each pack's samples side by side along
    /// the first feature axis (channels of an image, features of a vector). A reshape, since
    /// consecutive samples are contiguous.
    public func packed(_ x: Tensor) -> Tensor {
        guard packing > 1 else { return x }
        precondition(x.rank >= 2 && x.shape[0] % packing == 0,
                     "[SamplePacking] a batch of \(x.shape.first ?? 0) does not split into packs of \(packing) (shape \(x.shape))")
        return x.reshaped([x.shape[0] / packing, x.shape[1] * packing] + x.shape.dropFirst(2))
    }
}
