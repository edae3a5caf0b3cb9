import DeepGenKernels

/// The activation ``Tensor/linear(weight:bias:activation:)`` applies to its affine output.
public enum LinearActivation: Sendable, Equatable {
    case identity
    case relu
    /// `x` where `x > 0`, `slope·x` elsewhere; the slope must not be negative (the backward
    /// reads the sign from the output).
    case leakyRelu(Float)
    case sigmoid
    case tanh
    /// The exact (erf) GELU.
    case gelu

    /// The slope below zero of ReLU (0) and leaky ReLU; nil for the others.
    var rectifierSlope: Float? {
        switch self {
        case .relu: 0
        case .leakyRelu(let slope): slope
        default: nil
        }
    }
}

extension Tensor {
    /// `activation(self·weightᵀ + bias)` for `self` `[M, K]`, `weight` `[N, K]` and `bias` `[N]`:
    /// PyTorch's `nn.Linear` and the activation after it, as one op. The GEMM adds the bias and
    /// applies the activation to each block of the product as it finishes, while the block is in
    /// cache (``GEMMEpilogue``), instead of in two more passes over memory; the backward pass
    /// turns the activation's gradient and the bias's row sums around the same two products as
    /// ``matmul(_:transposeSelf:transposeOther:)``. Every value, forward and backward, is the one
    /// `(self.matmul(weight, transposeOther: true) + bias)` and then the activation's own op give,
    /// bit for bit. The backward is differentiable (`createGraph`): its second derivatives are the
    /// separate ops' bit for bit through identity and (leaky) ReLU, and equal to rounding through
    /// sigmoid, tanh and GELU, whose derivative is taken at a recomputed product.
    public func linear(weight: Tensor, bias: Tensor?, activation: LinearActivation = .identity) -> Tensor {
        let x = self, w = weight
        precondition(x.rank == 2 && w.rank == 2 && x.shape[1] == w.shape[1],
                     "[linear] expects x [M, K] and weight [N, K], got \(x.shape) and \(w.shape)")
        let m = x.shape[0], k = x.shape[1], n = w.shape[0]
        if let bias { precondition(bias.shape == [n], "[linear] bias \(bias.shape) is not [\(n)]") }
        if let slope = activation.rectifierSlope {
            precondition(slope >= 0, "[linear] a leaky ReLU's slope must not be negative, got \(slope)")
        }
        // GELU's gradient is kept beside the output: its epilogue turns the product plus bias into
        // GELU′ once it has taken GELU from it, so the backward pass is one multiplication
        // instead of a second erf and exponential.
        let out = Tensor(uninitializedShape: [m, n])
        let pre = activation == .gelu ? Tensor(uninitializedShape: [m, n]) : out
        let epilogue = Self.linearEpilogue(bias: bias?.storage.pointer, activation: activation,
                                           product: pre.storage.pointer, out: out.storage.pointer)
        sgemm(transA: false, transB: true, m: m, n: n, k: k,
              a: x.storage.pointer, lda: k, b: w.storage.pointer, ldb: k,
              c: pre.storage.pointer, ldc: n, epilogue: epilogue)
        // What the activation's gradient reads: GELU′ for GELU, the others their output (none
        // for the identity, so that a plain Linear's output is not held until the backward pass).
        let kept: Tensor? = switch activation {
        case .identity: nil
        case .gelu: pre
        default: out.detached()
        }
        let inputs = bias.map { [x, w, $0] } ?? [x, w]
        let sb = bias?.gradientSlot
        return Tensor.record("linear", out, inputs: inputs) { g in
            let dPre: Tensor
            if GradMode.isEnabled {
                // Differentiable, as the separate ops' backward passes are under createGraph.
                func recomputed() -> Tensor {
                    let p = x.matmul(w, transposeOther: true)
                    return bias.map { p + $0 } ?? p
                }
                switch activation {
                case .identity: dPre = g
                case .relu, .leakyRelu:
                    let slope = activation.rectifierSlope!
                    dPre = g * kept!.map { $0 > 0 ? 1 : slope }
                case .sigmoid: let s = recomputed().sigmoid(); dPre = g * (s * (1 - s))
                case .tanh: let t = recomputed().tanh(); dPre = g * (1 - t * t)
                case .gelu: dPre = g * recomputed().geluDerivative()
                }
            } else {
                switch activation {
                case .identity: dPre = g
                case .relu, .leakyRelu:
                    dPre = Tensor.broadcastMap(g, kept!, op: "linear", LeakyReluGradientOp(slope: activation.rectifierSlope!))
                case .sigmoid: dPre = g.zipVector(kept!, SigmoidBackwardVector())
                case .tanh: dPre = g.zipVector(kept!, TanhBackwardVector())
                case .gelu: dPre = g * kept!
                }
            }
            var grads: [Tensor?] = [
                x.needsGradient ? dPre.matmul(w) : nil,
                w.needsGradient ? dPre.matmul(x, transposeSelf: true) : nil,
            ]
            if let sb { grads.append(sb.needsGradient ? dPre.sum(toShape: sb.shape) : nil) }
            return grads
        }
    }

    /// The bias and activation as the GEMM's epilogue (nil when there is neither). For GELU,
    /// `out` gets GELU of the biased product and `product` its derivative there.
    private static func linearEpilogue(
        bias: UnsafeMutablePointer<Float>?, activation: LinearActivation,
        product: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) -> GEMMEpilogue? {
        func fused<F: BinaryVectorFunction>(_ f: F) -> GEMMEpilogue? {
            guard let bias else { return nil }
            return GEMMEpilogue { row, column, count in VectorMath.apply(row, bias + column, row, count: count, f) }
        }
        func alone<F: UnaryVectorFunction>(_ f: F) -> GEMMEpilogue {
            GEMMEpilogue { row, _, count in VectorMath.apply(row, row, count: count, f) }
        }
        switch activation {
        case .identity: return fused(BiasAdd())
        case .relu, .leakyRelu:
            let rectifier = LeakyReluVector(slope: activation.rectifierSlope!)
            return fused(BiasThen(f: rectifier)) ?? alone(rectifier)
        case .sigmoid: return fused(BiasThen(f: SigmoidVector())) ?? alone(SigmoidVector())
        case .tanh: return fused(BiasThen(f: TanhVector())) ?? alone(TanhVector())
        case .gelu:
            return GEMMEpilogue { row, column, count in
                if let bias { VectorMath.apply(row, bias + column, row, count: count, BiasAdd()) }
                let dst = out + (row - product)
                var i = 0
                while i + 16 <= count {
                    let (value, derivative) = Tensor.geluAndDerivativeVector(UnsafeRawPointer(row + i).loadUnaligned(as: VectorMath.V.self))
                    UnsafeMutableRawPointer(dst + i).storeBytes(of: value, as: VectorMath.V.self)
                    UnsafeMutableRawPointer(row + i).storeBytes(of: derivative, as: VectorMath.V.self)
                    i += 16
                }
                if i < count {
                    let (value, derivative) = Tensor.geluAndDerivativeVector(PartialVector.load(row + i, count - i))
                    PartialVector.store(value, dst + i, count - i)
                    PartialVector.store(derivative, row + i, count - i)
                }
            }
        }
    }
}

// The epilogue's functions: per lane the same arithmetic as the separate ops (`AddOp`,
// `LeakyReluOp`, the activations' vector functions), so the results are the same bits.

private struct BiasAdd: BinaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V, _ b: VectorMath.V) -> VectorMath.V { v + b }
}

private struct LeakyReluVector: UnaryVectorFunction {
    let slope: Float
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V {
        (slope * v).replacing(with: v, where: v .> 0)
    }
}

private struct BiasThen<F: UnaryVectorFunction>: BinaryVectorFunction {
    let f: F
    @_transparent func callAsFunction(_ v: VectorMath.V, _ b: VectorMath.V) -> VectorMath.V { f(v + b) }
}
