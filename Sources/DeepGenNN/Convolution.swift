import DeepGen

/// A convolution layer that can apply a (leaky) ReLU of slope ≥ 0 in its bias's pass
/// (`Sequential` fuses it with a following `ReLU` or `LeakyReLU`): the values of the two layers.
public protocol RectifiedConvolution: Layer {
    func forward(_ x: Tensor, rectifier: Float?) -> Tensor
}

/// 2-D convolution with `weight [out, in, kh, kw]` (PyTorch's `nn.Conv2d`, default init).
public final class Conv2d: Module, Layer, RectifiedConvolution {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Size2, padding: Size2, dilation: Size2

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
        dilation: Size2 = 1, bias: Bool = true, using rng: inout RandomGenerator
    ) {
        let fanIn = inChannels * kernelSize.h * kernelSize.w
        weight = Parameter(Initializer.pytorchDefault([outChannels, inChannels, kernelSize.h, kernelSize.w], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(Initializer.pytorchDefault([outChannels], fanIn: fanIn, using: &rng)) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation
    }

    /// Spectral normalization of `weight` once ``applySpectralNorm(using:)`` has run.
    public private(set) var spectralNorm: SpectralNorm?

    /// Uses `weight / σ(weight)` from now on (PyTorch's `spectral_norm(conv)`: the weight is
    /// saved as `weight_orig` beside `weight_u` and `weight_v`).
    public func applySpectralNorm(using rng: inout RandomGenerator) {
        spectralNorm = SpectralNorm(rows: weight.shape[0], columns: weight.value.count / weight.shape[0], using: &rng)
    }

    public override var localParameters: [(String, Parameter)] {
        spectralNorm == nil ? super.localParameters : SpectralNorm.renaming(super.localParameters)
    }

    public override var localBuffers: [(String, Buffer)] { super.localBuffers + (spectralNorm?.buffers ?? []) }

    public func forward(_ x: Tensor) -> Tensor { forward(x, rectifier: nil) }

    /// `forward(x).leakyRelu(rectifier)` with the activation in the bias's pass (the same values).
    public func forward(_ x: Tensor, rectifier: Float?) -> Tensor {
        let w = spectralNorm.map { $0.normalized(weight.value, training: isTraining) } ?? weight.value
        return x.conv2d(weight: w, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, rectifier: rectifier)
    }
}

/// Transposed 2-D convolution with `weight [in, out, kh, kw]` (PyTorch's `nn.ConvTranspose2d`).
public final class ConvTranspose2d: Module, Layer, RectifiedConvolution {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Size2, padding: Size2, outputPadding: Size2, dilation: Size2

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
        outputPadding: Size2 = 0, dilation: Size2 = 1, bias: Bool = true, using rng: inout RandomGenerator
    ) {
        // PyTorch computes fan-in from weight dim 1, which is the output channels here.
        let fanIn = outChannels * kernelSize.h * kernelSize.w
        weight = Parameter(Initializer.pytorchDefault([inChannels, outChannels, kernelSize.h, kernelSize.w], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(Initializer.pytorchDefault([outChannels], fanIn: fanIn, using: &rng)) : nil
        self.stride = stride; self.padding = padding; self.outputPadding = outputPadding; self.dilation = dilation
    }

    public func forward(_ x: Tensor) -> Tensor { forward(x, rectifier: nil) }

    /// `forward(x).leakyRelu(rectifier)` with the activation in the bias's pass (the same values).
    public func forward(_ x: Tensor, rectifier: Float?) -> Tensor {
        x.convTranspose2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                          outputPadding: outputPadding, dilation: dilation, rectifier: rectifier)
    }
}

/// 1-D convolution with `weight [out, in, k]` (PyTorch's `nn.Conv1d`, default init), causal by
/// default: output `t` sees inputs up to `t` (WaveNet's dilated causal convolutions).
public final class Conv1d: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let dilation: Int
    public let padding: Conv1DPadding

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, dilation: Int = 1, padding: Conv1DPadding = .causal,
                bias: Bool = true, using rng: inout RandomGenerator) {
        let fanIn = inChannels * kernelSize
        weight = Parameter(Initializer.pytorchDefault([outChannels, inChannels, kernelSize], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(Initializer.pytorchDefault([outChannels], fanIn: fanIn, using: &rng)) : nil
        self.dilation = dilation
        self.padding = padding
    }

    public func forward(_ x: Tensor) -> Tensor {
        x.conv1d(weight.value, bias: bias?.value, dilation: dilation, padding: padding)
    }
}
