import DeepGenKernels

// Elementwise functions as types, so kernels specialize on them. A closure handed through
// `Parallel.forEachChunk` reaches the loop as an opaque context and is called once per element
// (a call and return per value: the bulk of a ReLU or an add); a generic kernel specialized on
// one of these structs inlines the function and vectorizes the loop.

protocol UnaryElementwise {
    func callAsFunction(_ x: Float) -> Float
}

protocol BinaryElementwise {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

// Their SIMD counterparts, `UnaryVectorFunction` and `BinaryVectorFunction`, are in DeepGenKernels
// beside `VectorMath`.

struct AddOp: BinaryElementwise {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
}

struct SubtractOp: BinaryElementwise {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
}

struct MultiplyOp: BinaryElementwise {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
}

struct DivideOp: BinaryElementwise {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
}

struct MaximumOp: BinaryElementwise {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) }
}

/// `g` where `x > 0`, `slope·g` elsewhere: the (leaky) ReLU's backward in one pass.
struct LeakyReluGradientOp: BinaryElementwise {
    let slope: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : slope * g }
}

struct LeakyReluOp: UnaryElementwise {
    let slope: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : slope * x }
}

struct NegateOp: UnaryElementwise {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { -x }
}

struct SquareOp: UnaryElementwise {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x }
}

/// Any closure, for the uncommon functions (called per element, not inlined).
struct BinaryClosure: BinaryElementwise {
    let f: (Float, Float) -> Float
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { f(a, b) }
}

extension Tensor {
    /// Applies `op` to every element (no autograd), both cores on large tensors.
    @inline(__always)
    func mapElements<Op: UnaryElementwise>(_ op: Op) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let pa = storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(count, minChunk: 1 << 15) { _, r in
            for i in r { po[i] = op(pa[i]) }
        }
        return out
    }
}
