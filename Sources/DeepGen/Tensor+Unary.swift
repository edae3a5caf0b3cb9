import DeepGenKernels
import Foundation

// Elementwise functions. A backward that reuses the forward's output does so only when the
// backward itself is not being recorded; under `createGraph` it recomputes from the input so
// that second derivatives are right.

extension Tensor {
    /// Applies `f` to every element. Not differentiable: the result does not track gradients.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let pa = storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(count, minChunk: 1 << 15) { _, r in
            for i in r { po[i] = f(pa[i]) }
        }
        return out
    }

    /// `self · c`, outside autograd (one SIMD pass, both cores on large tensors): for updates
    /// that are no part of a graph, such as clipping gradients. The same values as `self * c`.
    public func scaled(by c: Float) -> Tensor { mapVector(ScaleVector(c: VectorMath.V(repeating: c))) }

    /// Applies a SIMD function to every element (no autograd), both cores on large tensors.
    @_transparent
    func mapVector<F: UnaryVectorFunction>(_ f: F) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let pa = storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(count, minChunk: 1 << 15) { _, r in
            VectorMath.apply(pa + r.lowerBound, po + r.lowerBound, count: r.count, f)
        }
        return out
    }

    /// Applies a SIMD function to the elements of two tensors of one shape (no autograd): a fused
    /// backward formula in one pass.
    @_transparent
    func zipVector<F: BinaryVectorFunction>(_ other: Tensor, _ f: F) -> Tensor {
        precondition(shape == other.shape, "[zipVector] shapes \(shape) and \(other.shape) differ")
        let out = Tensor(uninitializedShape: shape)
        let pa = storage.pointer, pb = other.storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(count, minChunk: 1 << 15) { _, r in
            VectorMath.apply(pa + r.lowerBound, pb + r.lowerBound, po + r.lowerBound, count: r.count, f)
        }
        return out
    }

    /// Reuses a cached forward result unless the backward pass is being differentiated.
    @inline(__always)
    static func cached(_ value: Tensor, else recompute: () -> Tensor) -> Tensor {
        GradMode.isEnabled ? recompute() : value
    }

    public func exp() -> Tensor {
        let x = self, out = mapVector(ExpVector())
        return Tensor.record("exp", out, inputs: [x]) { g in [g * Tensor.cached(out) { x.exp() }] }
    }

    public func log() -> Tensor {
        let x = self, out = mapVector(LogVector())
        return Tensor.record("log", out, inputs: [x]) { g in [g / x] }
    }

    public func sqrt() -> Tensor {
        let x = self, out = map { $0.squareRoot() }
        return Tensor.record("sqrt", out, inputs: [x]) { g in [g / (2 * Tensor.cached(out) { x.sqrt() })] }
    }

    /// `self ** p` for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        if p == 1 { return self }
        let x = self, out = map { Foundation.pow($0, p) }
        return Tensor.record("pow", out, inputs: [x]) { g in [g * (p * x.pow(p - 1))] }
    }

    public func square() -> Tensor {
        let x = self, out = mapElements(SquareOp())
        return Tensor.record("square", out, inputs: [x]) { g in [g * (2 * x)] }
    }

    public func abs() -> Tensor {
        let x = self, out = map { Swift.abs($0) }
        return Tensor.record("abs", out, inputs: [x]) { g in [g * x.sign()] }
    }

    /// -1, 0 or 1 by sign (no gradient).
    public func sign() -> Tensor { map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }

    /// Limits every element to `[low, high]`; the gradient is zero outside.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        let x = self, out = map { Swift.min(Swift.max($0, low), high) }
        return Tensor.record("clamp", out, inputs: [x]) { g in
            [g * x.map { $0 >= low && $0 <= high ? 1 : 0 }]
        }
    }

    public func relu() -> Tensor { leakyRelu(0, op: "relu") }

    public func leakyRelu(_ slope: Float = 0.01) -> Tensor { leakyRelu(slope, op: "leakyRelu") }

    func leakyRelu(_ slope: Float, op: String) -> Tensor {
        recordingLeakyRelu(slope, op: op, output: mapElements(LeakyReluOp(slope: slope)))
    }

    /// Records `output`, this tensor's (leaky) ReLU computed by the caller, as the activation op.
    func recordingLeakyRelu(_ slope: Float, op: String, output out: Tensor) -> Tensor {
        // The backward keeps the output, not the input (for slope ≥ 0 both have the same sign), as
        // PyTorch does: the next layer keeps the output anyway, so the input can be freed.
        // Detached: the closure lives in the output's own node.
        let signSource = slope >= 0 ? out.detached() : detached()
        return Tensor.record(op, out, inputs: [self]) { g in
            // One fused pass, unless the backward is recorded (then a differentiable product).
            GradMode.isEnabled ? [g * signSource.map { $0 > 0 ? 1 : slope }]
                               : [Tensor.broadcastMap(g, signSource, op: op, LeakyReluGradientOp(slope: slope))]
        }
    }

    public func sigmoid() -> Tensor {
        let x = self, out = mapVector(SigmoidVector())
        return Tensor.record("sigmoid", out, inputs: [x]) { g in
            let s = Tensor.cached(out) { x.sigmoid() }
            if GradMode.isEnabled { return [g * (s * (1 - s))] }
            return [g.zipVector(s, SigmoidBackwardVector())]
        }
    }

    public func tanh() -> Tensor {
        let x = self, out = mapVector(TanhVector())
        return Tensor.record("tanh", out, inputs: [x]) { g in
            let t = Tensor.cached(out) { x.tanh() }
            if GradMode.isEnabled { return [g * (1 - t * t)] }
            // g·(1 − t²) in one pass instead of three.
            return [g.zipVector(t, TanhBackwardVector())]
        }
    }

    public func sin() -> Tensor {
        let x = self, out = map { Foundation.sin($0) }
        return Tensor.record("sin", out, inputs: [x]) { g in [g * x.cos()] }
    }

    public func cos() -> Tensor {
        let x = self, out = map { Foundation.cos($0) }
        return Tensor.record("cos", out, inputs: [x]) { g in [-(g * x.sin())] }
    }

    /// `log(1 + exp(x))`, computed as `Swift.max(x, 0) + log1p(exp(-|x|))` so it never overflows.
    public func softplus() -> Tensor {
        let x = self, out = mapVector(SoftplusVector())
        return Tensor.record("softplus", out, inputs: [x]) { g in [g * x.sigmoid()] }
    }

    /// `log(sigmoid(x)) = -softplus(-x)`, exact for large |x|.
    public func logSigmoid() -> Tensor {
        let x = self, out = mapVector(LogSigmoidVector())
        return Tensor.record("logSigmoid", out, inputs: [x]) { g in [g * (-x).sigmoid()] }
    }

    /// σ(x) from e = exp(−|x|): 1/(1 + e) for x ≥ 0, e/(1 + e) below, so nothing overflows and
    /// tiny results keep their digits.
    @_transparent
    static func sigmoidVector(_ v: VectorMath.V) -> VectorMath.V {
        let e = VectorMath.exp(-v.replacing(with: -v, where: v .< 0))
        let r = 1 / (1 + e)
        return r.replacing(with: e * r, where: v .< 0)
    }

    /// max(x, 0) + log1p(exp(−|x|)): never overflows, and keeps tiny results' digits.
    @_transparent
    static func softplusVector(_ v: VectorMath.V) -> VectorMath.V {
        let magnitude = v.replacing(with: -v, where: v .< 0)
        var result = v.replacing(with: 0, where: v .< 0) + VectorMath.log1pOfUnit(VectorMath.exp(-magnitude))
        result.replace(with: v, where: v .!= v)  // NaN stays NaN
        return result
    }
}

struct ExpVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { VectorMath.exp(v) }
}

struct LogVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { VectorMath.log(v) }
}

struct TanhVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { VectorMath.tanh(v) }
}

struct SigmoidVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { Tensor.sigmoidVector(v) }
}

struct SoftplusVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { Tensor.softplusVector(v) }
}

/// log σ(x) = −softplus(−x).
struct LogSigmoidVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { -Tensor.softplusVector(-v) }
}

/// g·s(1 − s) from the sigmoid's output s.
struct SigmoidBackwardVector: BinaryVectorFunction {
    @_transparent func callAsFunction(_ g: VectorMath.V, _ s: VectorMath.V) -> VectorMath.V { g * (s * (1 - s)) }
}

/// g·(1 − t²) from tanh's output t.
struct TanhBackwardVector: BinaryVectorFunction {
    @_transparent func callAsFunction(_ g: VectorMath.V, _ t: VectorMath.V) -> VectorMath.V { g * (1 - t * t) }
}

/// `v·c`.
private struct ScaleVector: UnaryVectorFunction {
    let c: VectorMath.V
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { v * c }
}
