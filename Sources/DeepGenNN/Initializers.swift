import DeepGen
import Foundation

/// Weight initializers, all drawing from an explicit seeded generator.
public enum Initializer {
    /// Fan-in and fan-out as PyTorch computes them: dim 1 and dim 0 times the receptive field.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "[Initializer] fan needs at least 2 dimensions, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// The gain PyTorch's `calculate_gain` gives a nonlinearity.
    public enum Nonlinearity { case linear, relu, leakyRelu(Float), tanh, sigmoid }

    public static func gain(_ n: Nonlinearity) -> Float {
        switch n {
        case .linear, .sigmoid: return 1
        case .relu: return Float(2).squareRoot()
        case .leakyRelu(let a): return (2 / (1 + a * a)).squareRoot()
        case .tanh: return 5.0 / 3.0
        }
    }

    public static func uniform(_ shape: [Int], bound: Float, using rng: inout RandomGenerator) -> Tensor {
        Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    }

    public static func normal(_ shape: [Int], mean: Float = 0, std: Float, using rng: inout RandomGenerator) -> Tensor {
        Tensor.normal(shape, mean: mean, std: std, using: &rng)
    }

    /// Glorot/Xavier uniform: U(±gain·√(6 / (fanIn + fanOut))).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let f = fans(shape)
        return uniform(shape, bound: gain * (6 / Float(f.fanIn + f.fanOut)).squareRoot(), using: &rng)
    }

    /// Glorot/Xavier normal: N(0, gain²·2 / (fanIn + fanOut)).
    public static func xavierNormal(_ shape: [Int], gain: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let f = fans(shape)
        return normal(shape, std: gain * (2 / Float(f.fanIn + f.fanOut)).squareRoot(), using: &rng)
    }

    /// He/Kaiming uniform over fan-in: U(±gain·√(3 / fanIn)).
    public static func kaimingUniform(_ shape: [Int], nonlinearity: Nonlinearity = .leakyRelu(0), using rng: inout RandomGenerator) -> Tensor {
        uniform(shape, bound: gain(nonlinearity) * (3 / Float(fans(shape).fanIn)).squareRoot(), using: &rng)
    }

    /// He/Kaiming normal over fan-in: N(0, gain² / fanIn).
    public static func kaimingNormal(_ shape: [Int], nonlinearity: Nonlinearity = .leakyRelu(0), using rng: inout RandomGenerator) -> Tensor {
        normal(shape, std: gain(nonlinearity) / Float(fans(shape).fanIn).squareRoot(), using: &rng)
    }

    /// PyTorch's default for Linear and convolution weights, `kaiming_uniform_(a=√5)`:
    /// U(±1/√fanIn). Biases use the same bound.
    public static func pytorchDefault(_ shape: [Int], fanIn: Int, using rng: inout RandomGenerator) -> Tensor {
        uniform(shape, bound: fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0, using: &rng)
    }

    /// DCGAN's initialization (Radford et al.): convolution weights N(0, 0.02), normalization
    /// weights N(1, 0.02), their biases 0. Apply with `module.apply { Initializer.dcgan($0, using: &rng) }`.
    public static func dcgan(_ module: Module, using rng: inout RandomGenerator) {
        switch module {
        case let c as Conv2d: c.weight.value = normal(c.weight.shape, std: 0.02, using: &rng)
        case let c as ConvTranspose2d: c.weight.value = normal(c.weight.shape, std: 0.02, using: &rng)
        case let b as BatchNorm:
            if let w = b.weight { w.value = normal(w.shape, mean: 1, std: 0.02, using: &rng) }
            if let bias = b.bias { bias.value = Tensor(zeros: bias.shape) }
        default: break
        }
    }
}
