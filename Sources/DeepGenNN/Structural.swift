import DeepGen

/// Layers applied in order; children are named `0`, `1`, … as in PyTorch's `nn.Sequential`.
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public override var namedChildren: [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }

    /// Runs the layers in order; a `Linear` followed by an activation layer runs as one op
    /// (``Linear/forward(_:activation:)``: the same values, one pass over memory fewer), and a
    /// convolution followed by a (leaky) ReLU of slope ≥ 0 applies it in its bias's pass.
    public func forward(_ x: Tensor) -> Tensor {
        var y = x, i = 0
        while i < layers.count {
            if let linear = layers[i] as? Linear, i + 1 < layers.count,
               let activation = Self.fusableActivation(layers[i + 1]) {
                y = linear.forward(y, activation: activation)
                i += 2
            } else if let convolution = layers[i] as? RectifiedConvolution, i + 1 < layers.count,
                      let slope = Self.fusableRectifier(layers[i + 1]) {
                y = convolution.forward(y, rectifier: slope)
                i += 2
            } else {
                y = layers[i].forward(y)
                i += 1
            }
        }
        return y
    }

    private static func fusableRectifier(_ layer: any Layer) -> Float? {
        switch layer {
        case is ReLU: return 0
        case let leaky as LeakyReLU where leaky.negativeSlope >= 0: return leaky.negativeSlope
        default: return nil
        }
    }

    private static func fusableActivation(_ layer: any Layer) -> LinearActivation? {
        switch layer {
        case is ReLU: return .relu
        case let leaky as LeakyReLU where leaky.negativeSlope >= 0: return .leakyRelu(leaky.negativeSlope)
        case is Tanh: return .tanh
        case is Sigmoid: return .sigmoid
        default: return nil
        }
    }
}

/// Flattens axes `startDim...` into one (PyTorch's `nn.Flatten`, default from axis 1).
public final class Flatten: Module, Layer {
    public let startDim: Int
    public init(startDim: Int = 1) { self.startDim = startDim }
    public func forward(_ x: Tensor) -> Tensor { x.flattened(from: startDim) }
}

/// Reshapes axis 1 onward to `shape`, keeping the batch axis (PyTorch's `nn.Unflatten(1, shape)`).
public final class Unflatten: Module, Layer {
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public func forward(_ x: Tensor) -> Tensor { x.reshaped([x.shape[0]] + shape) }
}

/// Nearest-neighbour upsampling by an integer factor (PyTorch's `nn.Upsample(mode="nearest")`).
public final class Upsample: Module, Layer {
    public let scale: Size2
    public init(scale: Size2) { self.scale = scale }
    public func forward(_ x: Tensor) -> Tensor { x.upsampledNearest(scale: scale) }
}

/// Max pooling over H and W (PyTorch's `nn.MaxPool2d`; stride defaults to the kernel size).
public final class MaxPool2d: Module, Layer {
    public let kernel: Size2, stride: Size2?
    public init(_ kernel: Size2, stride: Size2? = nil) { self.kernel = kernel; self.stride = stride }
    public func forward(_ x: Tensor) -> Tensor { x.maxPool2d(kernel: kernel, stride: stride) }
}

/// Reflection padding of H and W (PyTorch's `nn.ReflectionPad2d`).
public final class ReflectionPad2d: Module, Layer {
    public let left: Int, right: Int, top: Int, bottom: Int
    public init(_ p: Int) { left = p; right = p; top = p; bottom = p }
    public init(left: Int, right: Int, top: Int, bottom: Int) { self.left = left; self.right = right; self.top = top; self.bottom = bottom }
    public func forward(_ x: Tensor) -> Tensor { x.reflectionPadded2d(left: left, right: right, top: top, bottom: bottom) }
}

/// Zeroes elements with probability `p` in training and scales the rest by `1/(1−p)`;
/// the identity in evaluation. Draws its masks from its own seeded generator.
public final class Dropout: Module, Layer {
    public let p: Float
    public var generator: RandomGenerator
    /// In a data-parallel run, this process's share of the global batch (axis 0 of the input):
    /// the mask is this share's rows of the mask one process would draw for the whole global batch
    /// (the other rows' numbers are skipped, not made). The processes' generators stay in step
    /// (rank 0's checkpoint holds everyone's state), and their masks differ.
    public var batchShare: (index: Int, count: Int)?
    /// The input's batch axis (1 for a time-major `[time, batch, features]` sequence).
    public var batchAxis = 0

    public init(_ p: Float = 0.5, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "[Dropout] probability \(p) outside [0, 1)")
        self.p = p
        generator = RandomGenerator(seed: seed)
    }

    public func forward(_ x: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return x }
        // One op drawing and multiplying in one pass; the same numbers as `x * mask(x.shape)`.
        let share = batchShare.flatMap { $0.count > 1 && batchAxis < x.shape.count ? $0 : nil }
        return x.dropout(p: p, share: share, batchAxis: batchAxis, using: &generator)
    }

    /// A fresh mask for an input of `shape` (batch on axis 0): this process's share's rows of a
    /// global batch's mask when ``batchShare`` is set.
    public func mask(_ shape: [Int]) -> Tensor {
        guard let share = batchShare, share.count > 1, batchAxis < shape.count else {
            return Tensor.dropoutMask(shape, p: p, using: &generator)
        }
        // In DeepGen's module, where the generator's calls inline (here they cost a call each).
        return Tensor.dropoutMask(shape, p: p, share: share.index, of: share.count, batchAxis: batchAxis, using: &generator)
    }
}

/// CycleGAN's residual block: `x + [reflect-pad, conv 3×3, norm, ReLU, (dropout), reflect-pad,
/// conv 3×3, norm](x)`, with the child named `conv_block` as in the CycleGAN repository.
public final class ResidualBlock: Module, Layer {
    public let convBlock: Sequential

    /// - Parameters:
    ///   - norm: Makes the normalization layer for a channel count (InstanceNorm2d in CycleGAN).
    ///   - useBias: Convolution bias; CycleGAN turns it off with instance norm only when affine.
    public init(
        _ channels: Int, norm: (Int) -> any Layer = { InstanceNorm2d($0) }, useDropout: Bool = false,
        useBias: Bool = true, using rng: inout RandomGenerator
    ) {
        var layers: [any Layer] = [
            ReflectionPad2d(1), Conv2d(channels, channels, kernelSize: 3, bias: useBias, using: &rng), norm(channels), ReLU(),
        ]
        if useDropout { layers.append(Dropout(0.5)) }
        layers += [ReflectionPad2d(1), Conv2d(channels, channels, kernelSize: 3, bias: useBias, using: &rng), norm(channels)]
        convBlock = Sequential(layers)
    }

    public func forward(_ x: Tensor) -> Tensor { x + convBlock(x) }
}
