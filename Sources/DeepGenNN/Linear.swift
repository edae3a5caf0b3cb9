import DeepGen

/// `y = x·Wᵀ + b` with `weight [out, in]` (PyTorch's `nn.Linear`). Leading axes are batch axes.
public final class Linear: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, using rng: inout RandomGenerator) {
        weight = Parameter(Initializer.pytorchDefault([outFeatures, inFeatures], fanIn: inFeatures, using: &rng))
        self.bias = bias ? Parameter(Initializer.pytorchDefault([outFeatures], fanIn: inFeatures, using: &rng)) : nil
    }

    /// Spectral normalization of `weight` once ``applySpectralNorm(using:)`` has run.
    public private(set) var spectralNorm: SpectralNorm?

    /// Uses `weight / σ(weight)` from now on (PyTorch's `spectral_norm(linear)`: the weight is
    /// saved as `weight_orig` beside `weight_u` and `weight_v`).
    public func applySpectralNorm(using rng: inout RandomGenerator) {
        spectralNorm = SpectralNorm(rows: weight.shape[0], columns: weight.shape[1], using: &rng)
    }

    public override var localParameters: [(String, Parameter)] {
        spectralNorm == nil ? super.localParameters : SpectralNorm.renaming(super.localParameters)
    }

    public override var localBuffers: [(String, Buffer)] { super.localBuffers + (spectralNorm?.buffers ?? []) }

    public func forward(_ x: Tensor) -> Tensor { forward(x, activation: .identity) }

    /// `activation(forward(x))` in one op: the product's epilogue adds the bias and applies the
    /// activation (``Tensor/linear(weight:bias:activation:)``), with the same results.
    public func forward(_ x: Tensor, activation: LinearActivation) -> Tensor {
        let inFeatures = weight.shape[1]
        precondition(x.rank >= 1 && x.shape.last == inFeatures,
                     "[Linear] input \(x.shape) does not end in \(inFeatures) features")
        let flat = x.rank == 2 ? x : x.reshaped([-1, inFeatures])
        let w = spectralNorm.map { $0.normalized(weight.value, training: isTraining) } ?? weight.value
        let y = flat.linear(weight: w, bias: bias?.value, activation: activation)
        return x.rank == 2 ? y : y.reshaped(Array(x.shape.dropLast()) + [weight.shape[0]])
    }
}

/// A lookup table `weight [count, dim]` (PyTorch's `nn.Embedding`, initialized N(0, 1)).
public final class Embedding: Module {
    public let weight: Parameter

    public init(_ count: Int, _ dim: Int, using rng: inout RandomGenerator) {
        weight = Parameter(Tensor.normal([count, dim], using: &rng))
    }

    /// Rows of the table for integer `indices`: `[indices.count, dim]`. The gradient adds into
    /// the rows looked up (a scatter-add, no one-hot product).
    public func callAsFunction(_ indices: [Int]) -> Tensor {
        weight.value.gatheringRows(indices)
    }
}
