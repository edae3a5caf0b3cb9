import DeepGen
import DeepGenNN

/// CycleGAN's generator (Zhu et al. 2017; Johnson et al. 2016): reflect-pad 3, Conv 7×7, two
/// stride-2 downsampling convolutions, `blocks` residual blocks, two stride-2 transposed
/// convolutions, reflect-pad 3, Conv 7×7, tanh; InstanceNorm and ReLU between. The child is
/// `model` with the same indices as the CycleGAN repository's `ResnetGenerator`, so its weights load.
/// Image sides must be multiples of 4 (28, 32, 64, 128, 256).
public final class ResnetGenerator: Module, Layer {
    public let model: Sequential

    public init(inputChannels: Int = 3, outputChannels: Int = 3, width: Int = 64, blocks: Int = 9,
                useDropout: Bool = false, using rng: inout RandomGenerator) {
        var layers: [any Layer] = [
            ReflectionPad2d(3), Conv2d(inputChannels, width, kernelSize: 7, using: &rng), InstanceNorm2d(width), ReLU(),
        ]
        for i in 0..<2 {
            let c = width << i
            layers += [Conv2d(c, 2 * c, kernelSize: 3, stride: 2, padding: 1, using: &rng), InstanceNorm2d(2 * c), ReLU()]
        }
        for _ in 0..<blocks { layers.append(ResidualBlock(4 * width, useDropout: useDropout, using: &rng)) }
        for i in 0..<2 {
            let c = width << (2 - i)
            layers += [ConvTranspose2d(c, c / 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, using: &rng),
                       InstanceNorm2d(c / 2), ReLU()]
        }
        layers += [ReflectionPad2d(3), Conv2d(width, outputChannels, kernelSize: 7, using: &rng), Tanh()]
        model = Sequential(layers)
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[2] % 4 == 0 && x.shape[3] % 4 == 0,
                     "[ResnetGenerator] needs NCHW images with sides divisible by 4, got \(x.shape)")
        return model(x)
    }
}

/// CycleGAN's PatchGAN discriminator (`NLayerDiscriminator`): 4×4 convolutions, the first
/// `layers` with stride 2, InstanceNorm and LeakyReLU 0.2, ending in a map of patch logits.
public final class PatchDiscriminator: Module, Layer {
    public let model: Sequential

    public init(inputChannels: Int = 3, width: Int = 64, layers n: Int = 3, using rng: inout RandomGenerator) {
        var layers: [any Layer] = [Conv2d(inputChannels, width, kernelSize: 4, stride: 2, padding: 1, using: &rng), LeakyReLU(0.2)]
        var mult = 1
        for k in 1..<max(n, 1) {
            let prev = mult
            mult = min(1 << k, 8)
            layers += [Conv2d(width * prev, width * mult, kernelSize: 4, stride: 2, padding: 1, using: &rng),
                       InstanceNorm2d(width * mult), LeakyReLU(0.2)]
        }
        let prev = mult
        mult = min(1 << n, 8)
        layers += [Conv2d(width * prev, width * mult, kernelSize: 4, stride: 1, padding: 1, using: &rng),
                   InstanceNorm2d(width * mult), LeakyReLU(0.2),
                   Conv2d(width * mult, 1, kernelSize: 4, stride: 1, padding: 1, using: &rng)]
        model = Sequential(layers)
    }

    public func forward(_ x: Tensor) -> Tensor { model(x) }

    /// The side of the patch map for inputs of side `inputSide`, or `nil` when a 4×4 convolution
    /// would meet an input smaller than itself (padding included).
    public static func outputSide(inputSide: Int, layers n: Int) -> Int? {
        func conv(_ side: Int?, stride: Int) -> Int? {
            guard let side, side + 2 >= 4 else { return nil }
            return (side + 2 - 4) / stride + 1
        }
        var side: Int? = inputSide
        for _ in 0..<max(n, 1) { side = conv(side, stride: 2) }
        return conv(conv(side, stride: 1), stride: 1)
    }
}
