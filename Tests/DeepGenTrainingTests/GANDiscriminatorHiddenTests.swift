import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenModels
import DeepGenNN
@testable import DeepGenTraining

/// `--discriminator-hidden N`: the 28×28 DCGAN's discriminator gets a hidden dense layer between
/// its convolutions and its logit; dcgan and cdcgan train and resume with it; what does not have
/// that discriminator refuses it.
struct GANDiscriminatorHiddenTests {
    func hidden(_ units: Int?) -> (inout any ModelHyperparameters) -> Void {
        { h in
            if var g = h as? GANHyperparameters { g.discriminatorHidden = units; h = g }
        }
    }

    /// PyTorch's `nn.Sequential` indices after the convolutions (`main.7` the hidden layer,
    /// `main.9` the logit), and the logit is that MLP on the flattened convolution features.
    @Test func theHeadIsADenseLayerOnTheWholeImage() {
        var rng = RandomGenerator(seed: 5)
        let d = DCGAN28Discriminator(width: 4, hidden: 6, using: &rng)
        #expect(d.namedParameters().map(\.0) == ["main.0.weight", "main.0.bias", "main.3.weight", "main.3.bias",
                                                "main.7.weight", "main.7.bias", "main.9.weight", "main.9.bias"])
        #expect((d.main.layers[7] as? Linear)?.weight.shape == [6, 8 * 7 * 7])
        d.eval()
        let x = Tensor.uniform([3, 1, 28, 28], low: -1, high: 1, using: &rng)
        let features = Sequential(Array(d.main.layers.prefix(7)))(x)
        let first = d.main.layers[7] as! Linear, last = d.main.layers[9] as! Linear
        let byHand = last(first(features).leakyRelu(0.2))
        #expect(d(x).shape == [3, 1])
        #expect(d(x).scalars == byHand.scalars)
        // With the minibatch statistic, one more 7×7 channel enters the hidden layer.
        let withStatistic = DCGAN28Discriminator(width: 4, minibatchGroupSize: 2, hidden: 6, using: &rng)
        #expect(withStatistic.namedParameters().first { $0.0 == "main.8.weight" }?.1.value.shape == [6, 9 * 7 * 7])
    }

    @Test(arguments: ["dcgan", "cdcgan"]) func variantsTrainWithIt(_ model: String) throws {
        let config = try tinyRun(model, data: "shapes", count: 64, batch: 16, customize: hidden(12))
        let gan = try #require(try makeModel(config.model) as? GANModel)
        #expect(gan.discriminator.module.namedParameters().contains { $0.1.value.shape.count == 2 && $0.1.value.shape[0] == 12 })
        var rng = RandomGenerator(seed: 4)
        let batch = TrainingBatch(inputs: Tensor.uniform([16] + config.model.sampleShape, low: -1, high: 1, using: &rng),
                                  labels: Array(repeating: 1, count: 16))
        for _ in 0..<2 {
            let losses = gan.trainStep(batch, using: &rng)
            #expect(losses.values.allSatisfy { $0.isFinite } && losses["d_real"] != nil, "\(losses)")
        }
    }

    /// The DCGAN's default on the built-in shapes (any subset of them) has the layer; on other
    /// data, and the conditional DCGAN, not.
    @Test func theShapesDefaultHasIt() throws {
        let image = DataDescription(kind: .image, shape: [1, 28, 28])
        func units(_ model: String, _ dataset: String) throws -> Int? {
            try ModelConfig.defaults(for: model, dataset: dataset, data: image).hyperparameters(as: GANHyperparameters.self).discriminatorHidden
        }
        #expect(try units("dcgan", "shapes") == 256 && units("dcgan", "shapes:circle,cross") == 256)
        #expect(try units("dcgan", "fashion-mnist") == nil && units("cdcgan", "shapes") == nil)
        let run = try RunConfig.newRun(model: "dcgan", data: DataOptions(spec: "shapes", syntheticCount: 64), seed: 1, threads: 1) { _, _ in }.config
        #expect(try run.model.hyperparameters(as: GANHyperparameters.self).discriminatorHidden == 256)
        let without = try RunConfig.newRun(model: "dcgan", data: DataOptions(spec: "shapes", syntheticCount: 64), seed: 1, threads: 1,
                                           customize: { _, h in hidden(nil)(&h) }).config
        #expect(try without.model.hyperparameters(as: GANHyperparameters.self).discriminatorHidden == nil)
    }

    @Test func aRunWithItResumesExactly() throws {
        let run = try TrainerTests().expectResumeIsBitIdentical(try tinyRun("dcgan", data: "shapes", count: 64, batch: 16, customize: hidden(8)))
        try? FileManager.default.removeItem(at: run)
    }

    @Test func whatHasNoSuchDiscriminatorRefusesIt() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func train(_ model: String, _ extra: [String]) -> [String] {
            ["train", model, "--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--out", dir.path] + extra
        }
        expectDeepGenError(train("dcgan", ["--discriminator-hidden=-3"]), mentioning: ["--discriminator-hidden must be at least 1, got -3"])
        expectDeepGenError(train("gan", ["--discriminator-hidden", "8"]), mentioning: ["Unknown option '--discriminator-hidden'"])
        expectDeepGenError(train("wgan-gp", ["--discriminator-hidden", "8"]), mentioning: ["Unknown option '--discriminator-hidden'"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path))
        // The Radford layout (32×32 and 64×64) ends in a convolution, not a dense layer.
        var h = GANHyperparameters(width: 8)
        h.discriminatorHidden = 16
        let settings = TrainingSettings(epochs: 1, batchSize: 8, optimizer: .adam(learningRate: 2e-4, betas: (0.5, 0.999)))
        #expect {
            try GANFamily.validate(h, variant: "dcgan", data: DataDescription(kind: .image, shape: [3, 32, 32]), training: settings)
        } throws: { "\($0)".contains("--discriminator-hidden adds a layer to the 28×28 DCGAN's discriminator; dcgan on 3×32×32 images does not take it") }
        #expect(throws: Never.self) {
            try GANFamily.validate(h, variant: "dcgan", data: DataDescription(kind: .image, shape: [1, 28, 28]), training: settings)
        }
    }
}
