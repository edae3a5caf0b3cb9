import DeepGen

/// Spectral normalization of a layer's weight (Miyato et al. 2018), as PyTorch's
/// `torch.nn.utils.spectral_norm`: the layer uses `W / σ(W)`, where σ is the largest singular
/// value of `W` viewed as `[out, rest]`, estimated by power iteration whose vectors `u` and `v`
/// persist as buffers (`weight_u`, `weight_v`; the trained weight is `weight_orig`). Each
/// training-mode forward takes one iteration step first; evaluation uses `u` and `v` as they
/// are. σ = uᵀ W v is differentiated through `W` only, as PyTorch does.
public final class SpectralNorm {
    public let u: Buffer
    public let v: Buffer
    public let eps: Float
    public let iterations: Int

    /// Vectors drawn from N(0, 1) and normalized, for a weight whose first axis has `rows` entries
    /// and the rest `columns`.
    public init(rows: Int, columns: Int, iterations: Int = 1, eps: Float = 1e-12, using rng: inout RandomGenerator) {
        precondition(rows > 0 && columns > 0 && iterations >= 0, "[SpectralNorm] needs a non-empty weight and ≥ 0 iterations")
        self.eps = eps
        self.iterations = iterations
        u = Buffer(Tensor(zeros: [rows]))
        v = Buffer(Tensor(zeros: [columns]))
        u.value = normalize(Tensor.normal([rows], using: &rng))
        v.value = normalize(Tensor.normal([columns], using: &rng))
    }

    private func normalize(_ x: Tensor) -> Tensor {
        x / Swift.max(x.square().sum().sqrt().scalar, eps)
    }

    /// `weight / σ`, after a power-iteration step when `training`.
    public func normalized(_ weight: Tensor, training: Bool) -> Tensor {
        let rows = weight.shape[0]
        let matrix = weight.reshaped([rows, weight.count / rows])
        precondition(u.value.count == rows && v.value.count == matrix.shape[1],
                     "[SpectralNorm] weight \(weight.shape) does not fit vectors u \(u.value.shape), v \(v.value.shape)")
        if training && iterations > 0 {
            withoutGrad {
                let w = matrix.detached()
                var (uu, vv) = (u.value, v.value)
                for _ in 0..<iterations {
                    vv = normalize(w.matmul(uu.reshaped([rows, 1]), transposeSelf: true).reshaped([w.shape[1]]))
                    uu = normalize(w.matmul(vv.reshaped([w.shape[1], 1])).reshaped([rows]))
                }
                (u.value, v.value) = (uu, vv)
            }
        }
        let sigma = (u.value * matrix.matmul(v.value.reshaped([matrix.shape[1], 1])).reshaped([rows])).sum()
        return weight / sigma
    }
}

extension SpectralNorm {
    /// A layer's parameters with `weight` under PyTorch's spectral-norm name, `weight_orig`.
    static func renaming(_ parameters: [(String, Parameter)]) -> [(String, Parameter)] {
        parameters.map { $0.0 == "weight" ? ("weight_orig", $0.1) : $0 }
    }

    /// The buffers PyTorch's spectral norm adds to a layer.
    var buffers: [(String, Buffer)] { [("weight_u", u), ("weight_v", v)] }
}

extension Module {
    /// Spectral normalization of every convolution and linear layer inside this module, in
    /// `namedModules()` order, the power-iteration vectors drawn from `rng` (a discriminator's
    /// `--spectral-norm`).
    public func applySpectralNormToLayers(using rng: inout RandomGenerator) {
        for (_, m) in namedModules() {
            if let conv = m as? Conv2d { conv.applySpectralNorm(using: &rng) }
            if let linear = m as? Linear { linear.applySpectralNorm(using: &rng) }
        }
    }
}
