import Testing
import DeepGen
@testable import DeepGenModels

/// Tiny runs that must fit their data: the non-saturating (with and without R1) and
/// Wasserstein-GP objectives pull a generator onto the single point of its data. (VAE and CycleGAN overfit tests are in
/// TrainingStepTests.)
@Suite struct OverfitTests {
    /// Mean distance of `samples` ([N, 2]) from `target`.
    func meanDistance(_ samples: Tensor, to target: (Float, Float)) -> Float {
        let s = samples.scalars
        var total: Float = 0
        for i in stride(from: 0, to: s.count, by: 2) {
            let dx = s[i] - target.0, dy = s[i + 1] - target.1
            total += (dx * dx + dy * dy).squareRoot()
        }
        return total / Float(s.count / 2)
    }

    @Test(arguments: [("gan", Float?.none), ("gan", 1), ("wgan-gp", nil)])
    func generatorCollapsesOntoTheOnlyPoint(_ kind: String, r1: Float?) throws {
        var config = tinyConfig(kind, shape: [2])
        config.updateHyperparameters(GANHyperparameters.self) {
            $0.r1Weight = r1
            $0.latentSize = 2
        }
        config.training.optimizer.learningRate = 2e-3
        config.training.batchSize = 32
        var rng = RandomGenerator(seed: 21)
        let model = try GANModel(config: config, using: &rng)
        let target: (Float, Float) = (1.5, -0.5)
        var realValues: [Float] = []
        for _ in 0..<32 { realValues += [target.0, target.1] }
        let batch = TrainingBatch(inputs: Tensor(shape: [32, 2], scalars: realValues), labels: [])
        let before = meanDistance(model.sample(count: 256, using: &rng), to: target)
        for _ in 0..<(kind == "wgan-gp" ? 600 : 300) { _ = model.trainStep(batch, using: &rng) }
        let after = meanDistance(model.sample(count: 256, using: &rng), to: target)
        #expect(after < 0.15 && after < before / 4, "\(kind) r1 \(String(describing: r1)): mean distance \(before) → \(after)")
    }
}
