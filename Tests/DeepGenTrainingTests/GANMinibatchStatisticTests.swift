import Foundation
import Testing
import DeepGen
import DeepGenModels
import DeepGenNN
@testable import DeepGenTraining

/// `--minibatch-stddev`: every GAN discriminator takes the statistic before its last layer, sees
/// its own group and no other, trains and resumes exactly; bad group sizes are refused.
struct GANMinibatchStatisticTests {
    func withGroups(_ size: Int) -> (inout any ModelHyperparameters) -> Void {
        { h in
            if var g = h as? GANHyperparameters { g.minibatchGroupSize = size; h = g }
        }
    }

    @Test(arguments: [("gan", "shapes"), ("gan", "ring8"), ("dcgan", "shapes"), ("wgan-gp", "shapes"), ("wgan-gp", "ring8"),
                      ("cdcgan", "shapes")])
    func theDiscriminatorSeesItsGroupOnly(_ model: String, _ data: String) throws {
        let config = try tinyRun(model, data: data, count: 64, batch: 16, customize: withGroups(4))
        let gan = try #require(try makeModel(config.model) as? GANModel)
        let d = gan.discriminator.module
        #expect(d.namedModules().contains { $0.1 is MinibatchStandardDeviation })
        var rng = RandomGenerator(seed: 4)
        let shape = [8] + config.model.sampleShape
        let losses = gan.trainStep(TrainingBatch(inputs: Tensor.uniform([16] + config.model.sampleShape, low: -1, high: 1, using: &rng),
                                                 labels: model == "cdcgan" ? Array(repeating: 0, count: 16) : []), using: &rng)
        #expect(losses.values.allSatisfy { $0.isFinite }, "\(losses)")
        guard let critic = d as? any Layer else { return }
        d.eval()  // no dropout: what changes is the statistic
        let x = Tensor.uniform(shape, low: -1, high: 1, using: &rng)
        func firstOutput(changing sample: Int) -> Float {
            var y = x.scalars
            let size = x.count / 8
            for i in sample * size..<(sample + 1) * size { y[i] = -y[i] }
            return critic(Tensor(shape: shape, scalars: y)).scalars[0]
        }
        let base = critic(x).scalars[0]
        #expect(firstOutput(changing: 1) != base, "a sample of the first group changes the first output")
        #expect(firstOutput(changing: 5) == base, "a sample of the second group leaves it")
    }

    /// The Radford layout (32×32, 64×64 image folders): the statistic is a 4×4 channel before the
    /// last convolution.
    @Test func theRadfordDiscriminatorTakesItBeforeItsLastConvolution() {
        var rng = RandomGenerator(seed: 1)
        let d = DCGANDiscriminator(imageSize: 32, width: 4, channels: 3, minibatchGroupSize: 4, using: &rng)
        let layers = d.main.layers
        #expect(layers[layers.count - 2] is MinibatchStandardDeviation)
        #expect((layers.last as? Conv2d)?.weight.shape == [1, 17, 4, 4])
        #expect(d(Tensor.uniform([8, 3, 32, 32], low: -1, high: 1, using: &rng)).shape == [8, 1])
    }

    @Test func aRunWithItResumesExactly() throws {
        let run = try TrainerTests().expectResumeIsBitIdentical(try tinyRun("dcgan", data: "shapes", count: 64, batch: 16,
                                                                            customize: withGroups(4)))
        try? FileManager.default.removeItem(at: run)
    }

    @Test func badGroupSizesAreRefused() {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = ["train", "dcgan", "--data", "shapes", "--synthetic-count", "64", "--width", "4", "--out", dir.path]
        expectDeepGenError(train + ["--minibatch-stddev", "1"], mentioning: ["--minibatch-stddev must be at least 2, got 1"])
        expectDeepGenError(train + ["--minibatch-stddev=-1"], mentioning: ["--minibatch-stddev must be at least 2, got -1"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path))
    }
}
