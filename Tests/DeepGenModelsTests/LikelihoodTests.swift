import Foundation
import Testing
import DeepGen
import DeepGenMetrics
@testable import DeepGenModels

/// The importance-weighted bound on a trained tiny VAE: never below the ELBO (as a log-likelihood),
/// tighter with more samples, and equal to it with one sample.
@Suite struct LikelihoodTests {
    /// A VAE with 2 latents fitted to four 4×4 binary patterns.
    static func trainedTinyVAE() throws -> (VAEModel, Tensor) {
        var config = try ModelConfig.defaults(for: "vae", dataset: "patterns", data: testData("vae", shape: [1, 4, 4]))
        config.updateHyperparameters(VAEHyperparameters.self) {
            $0.hiddenSize = 32
            $0.latentSize = 2
        }
        config.training.optimizer.learningRate = 1e-2
        var rng = RandomGenerator(seed: 1)
        let model = try VAEModel(config: config, using: &rng)
        let patterns: [[Float]] = [
            [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
            [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0],
        ]
        let data = Tensor(shape: [32, 1, 4, 4], scalars: (0..<32).flatMap { patterns[$0 % 4] })
        for _ in 0..<150 { _ = model.trainStep(TrainingBatch(inputs: data, labels: []), using: &rng) }
        return (model, data.sliced(axis: 0, 0..<8))
    }

    @Test func iwaeBoundsTheELBOAndTightensWithK() throws {
        let (model, images) = try Self.trainedTinyVAE()
        model.vae.eval()
        var means: [Int: Double] = [:]
        for k in [1, 10, 100] {
            // The bound's expectation grows with k; 20 independent estimates average out the noise.
            var total = 0.0
            for repetition in 0..<20 {
                var rng = RandomGenerator(seed: 7 &+ UInt64(repetition))
                let (elbo, iwae) = try model.vae.importanceWeightedLogLikelihood(images, samples: k, using: &rng, chunkRows: 64)
                // Jensen: log-mean-exp ≥ mean, image by image, for the same draws.
                for (e, w) in zip(elbo, iwae) { #expect(w >= e - 1e-9, "k=\(k): IWAE \(w) below ELBO \(e)") }
                if k == 1 { for (e, w) in zip(elbo, iwae) { #expect(abs(w - e) < 1e-9) } }
                total += iwae.reduce(0, +) / Double(iwae.count)
            }
            means[k] = total / 20
        }
        #expect(means[10]! > means[1]! && means[100]! > means[10]!, "log-likelihood estimates by k: \(means)")
    }

    @Test func chunkingDoesNotChangeTheEstimate() throws {
        let (model, images) = try Self.trainedTinyVAE()
        var a = RandomGenerator(seed: 3), b = RandomGenerator(seed: 3)
        let whole = try model.vae.importanceWeightedLogLikelihood(images, samples: 50, using: &a, chunkRows: 4096)
        let pieces = try model.vae.importanceWeightedLogLikelihood(images, samples: 50, using: &b, chunkRows: 50)
        #expect(zip(whole.estimate, pieces.estimate).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(throws: MetricError.self) { var r = RandomGenerator(seed: 0); _ = try model.vae.importanceWeightedLogLikelihood(images, samples: 0, using: &r) }
    }

    @Test func fixedBinarizationIsPerImage() throws {
        var config = try ModelConfig.defaults(for: "vae", dataset: "x", data: testData("vae", shape: [1, 4, 4]))
        config.updateHyperparameters(VAEHyperparameters.self) { $0.binarize = true }
        var rng = RandomGenerator(seed: 0)
        let model = try VAEModel(config: config, using: &rng)
        let images = Tensor.uniform([6, 1, 4, 4], using: &rng)
        let all = model.evaluationImages(images, indices: Array(0..<6))
        let last = model.evaluationImages(images.sliced(axis: 0, 3..<6), indices: [3, 4, 5])
        #expect(all.sliced(axis: 0, 3..<6).scalars == last.scalars)
        #expect(all.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        // Continuous models see the images unchanged; binarization is refused for Gaussian pixels.
        config.updateHyperparameters(VAEHyperparameters.self) { $0.binarize = false }
        #expect(try VAEModel(config: config, using: &rng).evaluationImages(images, indices: Array(0..<6)).scalars == images.scalars)
        config.updateHyperparameters(VAEHyperparameters.self) {
            $0.binarize = true
            $0.likelihood = .gaussian
        }
        #expect(throws: ConfigurationError.self) { try config.validate() }
    }
}
