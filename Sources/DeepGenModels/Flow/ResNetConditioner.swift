import DeepGen
import DeepGenNN

/// The residual-network conditioner of RealNVP's image couplings (Dinh et al. 2017, §4.1): a
/// 3×3 convolution to `hidden` channels, `blocks` residual blocks, then batch normalization,
/// ReLU and a 3×3 convolution to the outputs that starts at zero, so that a new coupling is the
/// identity.
public final class ResNetConditioner: Module, Layer {
    public let inConv: Conv2d
    public let blocks: [ConditionerBlock]
    public let outNorm: BatchNorm2d
    public let outConv: Conv2d

    public init(inputs: Int, hidden: Int, outputs: Int, blocks: Int, using rng: inout RandomGenerator) {
        inConv = Conv2d(inputs, hidden, kernelSize: 3, padding: 1, using: &rng)
        self.blocks = (0..<blocks).map { _ in ConditionerBlock(hidden, using: &rng) }
        outNorm = BatchNorm2d(hidden)
        outConv = Conv2d(hidden, outputs, kernelSize: 3, padding: 1, using: &rng)
        outConv.weight.value = Tensor(zeros: outConv.weight.shape)
        outConv.bias?.value = Tensor(zeros: [outputs])
    }

    public func forward(_ x: Tensor) -> Tensor {
        let h = blocks.reduce(inConv(x)) { $1($0) }
        return outConv(outNorm(h).relu())
    }
}

/// A pre-activation residual block: `x + conv₂(relu(bn₂(conv₁(relu(bn₁(x))))))`, 3×3 convolutions.
public final class ConditionerBlock: Module, Layer {
    public let norm1: BatchNorm2d
    public let conv1: Conv2d
    public let norm2: BatchNorm2d
    public let conv2: Conv2d

    public init(_ channels: Int, using rng: inout RandomGenerator) {
        norm1 = BatchNorm2d(channels)
        conv1 = Conv2d(channels, channels, kernelSize: 3, padding: 1, using: &rng)
        norm2 = BatchNorm2d(channels)
        conv2 = Conv2d(channels, channels, kernelSize: 3, padding: 1, using: &rng)
    }

    public func forward(_ x: Tensor) -> Tensor {
        x + conv2(norm2(conv1(norm1(x).relu())).relu())
    }
}
