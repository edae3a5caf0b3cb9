import DeepGen

public final class ReLU: Module, Layer {
    public override init() {}
    public func forward(_ x: Tensor) -> Tensor { x.relu() }
}

public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Float
    public init(_ negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func forward(_ x: Tensor) -> Tensor { x.leakyRelu(negativeSlope) }
}

public final class Tanh: Module, Layer {
    public override init() {}
    public func forward(_ x: Tensor) -> Tensor { x.tanh() }
}

public final class Sigmoid: Module, Layer {
    public override init() {}
    public func forward(_ x: Tensor) -> Tensor { x.sigmoid() }
}
