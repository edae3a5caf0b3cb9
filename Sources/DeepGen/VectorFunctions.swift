import DeepGenKernels

/// A SIMD function of one 16-lane vector as a type, so that `mapVector` is specialized for it and
/// inlines it. A closure captured by a chunk's closure is called through a pointer, its vector
/// passed as four 4-lane registers and computed 4 lanes at a time (GELU's backward pass took 5 ns
/// per element so, an eighth of a gpt step).
protocol UnaryVectorFunction {
    func callAsFunction(_ v: VectorMath.V) -> VectorMath.V
}

/// The same for a function of two vectors (`zipVector`): fused backward formulas.
protocol BinaryVectorFunction {
    func callAsFunction(_ a: VectorMath.V, _ b: VectorMath.V) -> VectorMath.V
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

struct GELUVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { Tensor.geluVector(v) }
}

struct GELUDerivativeVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { Tensor.geluDerivativeVector(v) }
}

/// g·GELU′(x).
struct GELUBackwardVector: BinaryVectorFunction {
    @_transparent func callAsFunction(_ g: VectorMath.V, _ x: VectorMath.V) -> VectorMath.V { g * Tensor.geluDerivativeVector(x) }
}

/// g·s(1 − s) from the sigmoid's output s.
struct SigmoidBackwardVector: BinaryVectorFunction {
    @_transparent func callAsFunction(_ g: VectorMath.V, _ s: VectorMath.V) -> VectorMath.V { g * (s * (1 - s)) }
}

/// g·(1 − t²) from tanh's output t.
struct TanhBackwardVector: BinaryVectorFunction {
    @_transparent func callAsFunction(_ g: VectorMath.V, _ t: VectorMath.V) -> VectorMath.V { g * (1 - t * t) }
}
