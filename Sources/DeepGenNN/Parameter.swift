import DeepGen

/// A trainable tensor held by reference, so optimizers and checkpoint loading can replace its
/// value in place while the module keeps pointing at it.
public final class Parameter {
    /// The current value: always a fresh leaf of the graph (tracking gradients unless frozen),
    /// so a value computed by an optimizer never chains one step's graph to the next.
    public var value: Tensor {
        didSet { value = value.detached().requiringGrad(!frozen) }
    }
    /// A frozen parameter is not returned as trainable and does not track gradients.
    public var frozen: Bool = false {
        didSet { value = value.detached().requiringGrad(!frozen) }
    }

    public init(_ value: Tensor) { self.value = value.detached().requiringGrad() }

    public var shape: [Int] { value.shape }
}

/// A non-trainable tensor that is part of a module's state (BatchNorm's running statistics).
public final class Buffer {
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value.detached() }
    public var shape: [Int] { value.shape }
}
