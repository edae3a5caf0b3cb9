import Testing
import DeepGen
import DeepGenNN
import _DeepGenTestSupport
@testable import DeepGenModels

@Suite struct ModelShapeTests {
    @Test func ganNetworks() {
        var rng = RandomGenerator(seed: 1)
        let g = MLPGenerator(using: &rng), d = MLPDiscriminator(using: &rng)
        let fake = g(Tensor.normal([3, 100], using: &rng))
        #expect(fake.shape == [3, 1, 28, 28])
        #expect(fake.abs().max().scalar <= 1)
        #expect(d(fake).shape == [3, 1])
        let g2 = MLPGenerator(latentSize: 2, hidden: [16, 16], outputShape: [2], outputActivation: false, using: &rng)
        #expect(g2(Tensor.normal([5, 2], using: &rng)).shape == [5, 2])
        #expect(MLPDiscriminator(inputSize: 2, hidden: [16], using: &rng)(Tensor(zeros: [5, 2])).shape == [5, 1])
    }

    /// With BatchNorm, the MLP generator normalizes every hidden layer but the first, with
    /// PyTorch-GAN's `gan.py` layout (Linear, BatchNorm1d, LeakyReLU) and state_dict names.
    @Test func mlpGeneratorWithBatchNorm() {
        var rng = RandomGenerator(seed: 1)
        let g = MLPGenerator(batchNorm: true, using: &rng)
        let names = g.namedParameters().map(\.0)
        #expect(names == ["main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias", "main.3.weight", "main.3.bias",
                          "main.5.weight", "main.5.bias", "main.6.weight", "main.6.bias", "main.8.weight", "main.8.bias"])
        #expect(g.namedModules().filter { $0.1 is BatchNorm1d }.map(\.0) == ["main.3", "main.6"])
        // In training mode each normalized unit has zero mean over the batch before its LeakyReLU.
        let z = Tensor.normal([16, 100], using: &rng)
        let hidden = Sequential(Array(g.main.layers.prefix(4)))(z)
        #expect(hidden.mean(axes: [0]).abs().max().scalar < 1e-4)
        #expect(g(z).shape == [16, 1, 28, 28])
    }

    @Test func dcganNetworks() {
        var rng = RandomGenerator(seed: 2)
        let g = DCGAN28Generator(width: 8, using: &rng), d = DCGAN28Discriminator(width: 8, using: &rng)
        let fake = g(Tensor.normal([2, 100], using: &rng))
        #expect(fake.shape == [2, 1, 28, 28])
        #expect(d(fake).shape == [2, 1])
        for size in [32, 64] {
            let g64 = DCGANGenerator(imageSize: size, width: 4, using: &rng)
            let img = g64(Tensor.normal([2, 100], using: &rng))
            #expect(img.shape == [2, 3, size, size])
            #expect(DCGANDiscriminator(imageSize: size, width: 4, using: &rng)(img).shape == [2, 1])
            #expect(DCGANDiscriminator(imageSize: size, width: 4, batchNorm: false, using: &rng)(img).shape == [2, 1])
        }
        // pytorch/examples/dcgan names: main.0 (ConvTranspose), main.1 (BatchNorm), …
        #expect(DCGANGenerator(imageSize: 64, width: 4, using: &rng).namedParameters().prefix(3).map(\.0)
                == ["main.0.weight", "main.1.weight", "main.1.bias"])
    }

    @Test func conditionalDCGAN() {
        var rng = RandomGenerator(seed: 3)
        let g = ConditionalDCGAN28Generator(width: 4, using: &rng), d = ConditionalDCGAN28Discriminator(width: 4, using: &rng)
        let labels = [0, 3, 9]
        let fake = g(Tensor.normal([3, 100], using: &rng), labels: labels)
        #expect(fake.shape == [3, 1, 28, 28])
        #expect(d(fake, labels: labels).shape == [3, 1])
        // The label changes the sample for the same noise (evaluation mode: one sample per batch).
        g.eval()
        let z = Tensor.normal([1, 100], using: &rng)
        let difference = (g(z, labels: [1]) - g(z, labels: [2])).abs().max().scalar
        #expect(difference > 1e-4)
    }

    @Test func vaes() {
        var rng = RandomGenerator(seed: 4)
        let x = Tensor.uniform([3, 1, 28, 28], using: &rng)
        let mlp = MLPVAE(using: &rng)
        #expect(mlp.namedParameters().map(\.0).filter { $0.hasSuffix("weight") } == ["fc1.weight", "fc21.weight", "fc22.weight", "fc3.weight", "fc4.weight"])
        let conv = ConvVAE(width: 8, using: &rng)
        for vae in [mlp, conv] as [any VariationalAutoencoder] {
            let q = vae.encode(x)
            #expect(q.mean.shape == [3, 20] && q.logVariance.shape == [3, 20])
            #expect(vae.reconstruct(x).shape == [3, 1, 28, 28])
            #expect(vae.sample(count: 4, using: &rng).shape == [4, 1, 28, 28])
            let path = vae.interpolate(from: x.sliced(axis: 0, 0..<1), to: x.sliced(axis: 0, 1..<2), steps: 5)
            #expect(path.shape == [5, 1, 28, 28])
            let terms = vae.elbo(x, using: &rng)
            #expect(terms.reconstruction.shape == [3] && terms.kl.shape == [3] && terms.loss.shape == [])
            #expect(terms.kl.min().scalar >= 0)
        }
        // At the endpoints the interpolation decodes the two posterior means.
        let path = mlp.interpolate(from: x.sliced(axis: 0, 0..<1), to: x.sliced(axis: 0, 1..<2), steps: 3)
        #expect(closeness(path.sliced(axis: 0, 0..<1), mlp.reconstruct(x.sliced(axis: 0, 0..<1))) == nil)
    }

    @Test func cycleGANNetworks() {
        var rng = RandomGenerator(seed: 5)
        let g = ResnetGenerator(inputChannels: 1, outputChannels: 1, width: 4, blocks: 2, using: &rng)
        #expect(g(Tensor.normal([2, 1, 28, 28], using: &rng)).shape == [2, 1, 28, 28])
        let g3 = ResnetGenerator(width: 4, blocks: 1, using: &rng)
        #expect(g3(Tensor.normal([1, 3, 32, 32], using: &rng)).shape == [1, 3, 32, 32])
        let d = PatchDiscriminator(inputChannels: 1, width: 4, layers: 2, using: &rng)
        #expect(d(Tensor.normal([2, 1, 28, 28], using: &rng)).shape == [2, 1, 5, 5])
        let d3 = PatchDiscriminator(inputChannels: 3, width: 4, layers: 3, using: &rng)
        #expect(d3(Tensor.normal([1, 3, 64, 64], using: &rng)).shape == [1, 1, 6, 6])
        #expect(g.namedParameters().contains { $0.0 == "model.10.conv_block.1.weight" })
    }

    @Test func imagePoolKeepsHistory() {
        var rng = RandomGenerator(seed: 6)
        var pool = ImagePool(capacity: 4)
        let first = Tensor(shape: [4, 1, 1, 1], scalars: [1, 2, 3, 4])
        #expect(pool.query(first, using: &rng).scalars == [1, 2, 3, 4], "fills before swapping")
        var swapped = 0
        for step in 0..<50 {
            let batch = Tensor(repeating: Float(100 + step), shape: [2, 1, 1, 1])
            let out = pool.query(batch, using: &rng)
            swapped += out.scalars.filter { $0 != Float(100 + step) }.count
            #expect(pool.images.count == 4)
        }
        // About half of the 100 images are swapped for history.
        #expect(swapped > 30 && swapped < 70, "swapped \(swapped) of 100")
        var empty = ImagePool(capacity: 0)
        #expect(empty.query(first, using: &rng).scalars == first.scalars)
    }

    @Test func ganObjectives() {
        let real = Tensor([2, 3]), fake = Tensor([-1, 0.5])
        // Non-saturating generator loss is −log σ(D(G(z))) = softplus(−x).
        let ns = GANObjective.nonSaturating.generatorLoss(fake: fake).scalar
        #expect(Swift.abs(ns - (fake * -1).softplus().mean().scalar) < 1e-6)
        // Minimax generator loss is log(1 − σ(x)) = −softplus(x).
        let mm = GANObjective.minimax.generatorLoss(fake: fake).scalar
        #expect(Swift.abs(mm + fake.softplus().mean().scalar) < 1e-6)
        #expect(GANObjective.wasserstein.discriminatorLoss(real: real, fake: fake).scalar == -0.25 - 2.5)
        #expect(GANObjective.leastSquares.discriminatorLoss(real: Tensor([1, 1]), fake: Tensor([0, 0])).scalar == 0)
    }
}
