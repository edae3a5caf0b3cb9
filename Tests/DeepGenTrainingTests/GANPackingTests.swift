import Foundation
import Testing
import DeepGen
import DeepGenModels
import DeepGenNN
@testable import DeepGenTraining

/// `--pack` (PacGAN): the discriminators judge packs of consecutive samples, stacked along their
/// first feature axis; gan and dcgan train with it; what cannot pack is refused.
struct GANPackingTests {
    /// Each output is the network on its pack's samples side by side, and no other sample moves it.
    func expectPacks(_ d: some Module & Layer & SamplePacking, main: Sequential, sample: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        var rng = RandomGenerator(seed: 3)
        let k = d.packing, batch = 3 * k, size = sample.reduce(1, *)
        d.eval()  // no dropout, BatchNorm on running statistics: each pack stands alone
        let x = Tensor.uniform([batch] + sample, low: -1, high: 1, using: &rng)
        let y = d(x)
        #expect(y.shape == [3, 1], sourceLocation: sourceLocation)
        // The second pack through the layers by hand: its k samples as one input of k·C channels.
        let pack = Tensor(shape: [1, sample[0] * k] + sample.dropFirst(), scalars: Array(x.scalars[k * size..<(2 * k * size)]))
        var direct = main(d is MLPDiscriminator ? pack.flattened(from: 1) : pack)
        direct = direct.reshaped([1, 1])
        #expect(abs(direct.scalars[0] - y.scalars[1]) <= 1e-5 * max(1, abs(y.scalars[1])), "\(direct.scalars) vs \(y.scalars)",
                sourceLocation: sourceLocation)
        // Changing the last sample of the first pack moves the first output only.
        var changed = x.scalars
        for i in (k - 1) * size..<(k * size) { changed[i] = -changed[i] }
        let z = d(Tensor(shape: x.shape, scalars: changed))
        #expect(z.scalars[0] != y.scalars[0] && z.scalars[1] == y.scalars[1] && z.scalars[2] == y.scalars[2], sourceLocation: sourceLocation)
    }

    @Test func everyDiscriminatorJudgesItsPacks() {
        var rng = RandomGenerator(seed: 1)
        let mlp = MLPDiscriminator(inputSize: 6, hidden: [5, 4], packing: 2, using: &rng)
        #expect((mlp.main.layers.first as? Linear)?.weight.shape == [5, 12])
        expectPacks(mlp, main: mlp.main, sample: [6])
        let dc28 = DCGAN28Discriminator(width: 4, channels: 1, packing: 3, using: &rng)
        #expect((dc28.main.layers.first as? Conv2d)?.weight.shape == [4, 3, 5, 5])
        expectPacks(dc28, main: dc28.main, sample: [1, 28, 28])
        let radford = DCGANDiscriminator(imageSize: 32, width: 4, channels: 3, packing: 2, using: &rng)
        #expect((radford.main.layers.first as? Conv2d)?.weight.shape == [4, 6, 4, 4])
        expectPacks(radford, main: radford.main, sample: [3, 32, 32])
    }

    func packing(_ k: Int, groups: Int? = nil) -> (inout any ModelHyperparameters) -> Void {
        { h in
            if var g = h as? GANHyperparameters { (g.packing, g.minibatchGroupSize) = (k, groups); h = g }
        }
    }

    /// A step of every variant that packs, real and fake batches (and the MLP's joint pass) in
    /// packs; the losses finite and the discriminator's first layer k samples wide.
    @Test(arguments: [("gan", "shapes"), ("gan", "ring8"), ("dcgan", "shapes")])
    func packedVariantsTrain(_ model: String, _ data: String) throws {
        let config = try tinyRun(model, data: data, count: 64, batch: 16, customize: packing(4))
        let gan = try #require(try makeModel(config.model) as? GANModel)
        #expect((gan.discriminator.module as? SamplePacking)?.packing == 4)
        var rng = RandomGenerator(seed: 4)
        let batch = TrainingBatch(inputs: Tensor.uniform([16] + config.model.sampleShape, low: -1, high: 1, using: &rng), labels: [])
        for _ in 0..<2 {
            let losses = gan.trainStep(batch, using: &rng)
            #expect(losses.values.allSatisfy { $0.isFinite } && losses["d_real"] != nil, "\(losses)")
        }
    }

    @Test func aPackedRunResumesExactly() throws {
        let run = try TrainerTests().expectResumeIsBitIdentical(try tinyRun("gan", data: "shapes", count: 64, batch: 16, customize: packing(2)))
        try? FileManager.default.removeItem(at: run)
    }

    @Test func whatCannotPackIsRefused() {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func train(_ model: String, _ extra: [String]) -> [String] {
            ["train", model, "--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--out", dir.path] + extra
        }
        expectDeepGenError(train("gan", ["--pack", "0"]), mentioning: ["--pack must be at least 2, got 0"])
        expectDeepGenError(train("gan", ["--pack", "3", "--minibatch-stddev", "0"]), mentioning: ["--batch-size 16 does not split into packs of 3"])
        expectDeepGenError(train("cdcgan", ["--pack", "2"]), mentioning: ["--pack (PacGAN) is for gan and dcgan; cdcgan does not take it"])
        expectDeepGenError(train("wgan-gp", ["--pack", "2"]), mentioning: ["wgan-gp does not take it"])
        // The 28×28 dcgan's and the image gan's default minibatch statistic must be turned off first.
        expectDeepGenError(train("dcgan", ["--pack", "2"]), mentioning: ["--pack and --minibatch-stddev", "--minibatch-stddev 0"])
        expectDeepGenError(train("gan", ["--pack", "2"]), mentioning: ["--pack and --minibatch-stddev", "--minibatch-stddev 0"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path))
    }

    /// Two processes must each hold whole packs.
    @Test func aShareThatSplitsAPackIsRefused() throws {
        var rng = RandomGenerator(seed: 2)
        let d = MLPDiscriminator(inputSize: 4, hidden: [3], packing: 4, using: &rng)
        var settings = TrainingSettings(epochs: 1, batchSize: 12, optimizer: .adam(learningRate: 1e-3, betas: (0.5, 0.999)))
        let net = TrainableNetwork(name: "discriminator", module: d, optimizer: settings.optimizer.makeOptimizer())
        #expect(throws: Never.self) { try checkPerProcessBatch([net], settings: settings, processes: 1) }
        #expect { try checkPerProcessBatch([net], settings: settings, processes: 2) } throws: { "\($0)".contains("packs of 4") }
        settings.batchSize = 16
        #expect(throws: Never.self) { try checkPerProcessBatch([net], settings: settings, processes: 2) }
    }
}
