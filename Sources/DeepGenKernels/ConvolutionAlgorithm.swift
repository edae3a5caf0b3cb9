/// The kernel family that computes one face of a convolution.
public enum ConvolutionAlgorithm: Equatable, Sendable {
    /// `DirectConvolution`: few output channels, no dilation.
    case direct
    /// `WinogradConvolution`: stride-1 2×2, 3×3 or 5×5 layers with enough channels; the only
    /// kernels that read a phase input.
    case winograd
    /// im2col or col2im around a GEMM: every other plain-input layer.
    case columnGEMM
}

/// One of the three bilinear faces of a convolution (each one's gradients are the other two).
public enum ConvolutionFace: Equatable, Sendable {
    /// `y = conv(x, w)`.
    case forward
    /// `x = convᵀ(g, w)`, the transposed convolution.
    case inputAdjoint
    /// `w = Σ g ⋆ x`, the weight gradient.
    case weightAdjoint
}

extension Conv2DGeometry {
    /// The kernel for `face` of this layer: direct, else Winograd, else the column GEMM.
    ///
    /// All three faces of a layer share the geometry, so they agree except where the direct
    /// input adjoint needs more (stride 1, padding below the kernel size). A phase input
    /// (`inputPhases`) that Winograd does not take is a programmer error: only the stride-2
    /// rewrite makes one, and it checks Winograd first.
    public func algorithm(outChannels: Int, for face: ConvolutionFace) -> ConvolutionAlgorithm {
        if !inputPhases {
            let direct = face == .inputAdjoint
                ? DirectConvolution.appliesToInputAdjoint(outChannels: outChannels, geometry: self)
                : DirectConvolution.applies(outChannels: outChannels, geometry: self)
            if direct { return .direct }
        }
        if WinogradConvolution.applies(outChannels: outChannels, geometry: self) { return .winograd }
        require(!inputPhases,
                   "[\(face == .inputAdjoint ? "convTranspose2d" : "conv2d")] phase input needs Winograd (\(face)): \(self)")
        return .columnGEMM
    }
}
