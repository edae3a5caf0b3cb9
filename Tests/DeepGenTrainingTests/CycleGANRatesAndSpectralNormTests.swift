import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenModels
import DeepGenNN
@testable import DeepGenTraining

/// CycleGAN's share of issue 24's options: two learning rates (`--lr-g` for both generators,
/// `--lr-d` for both discriminators) that the schedule scales alike, and spectral normalization of
/// both discriminators' convolutions; runs with them resume exactly; bad rates are refused.
struct CycleGANRatesAndSpectralNormTests {
    func options(lrG: Double? = nil, lrD: Double? = nil, spectralNorm: Bool? = nil) -> (inout any ModelHyperparameters) -> Void {
        { h in
            if var c = h as? CycleGANHyperparameters {
                (c.generatorLearningRate, c.discriminatorLearningRate, c.spectralNorm) = (lrG, lrD, spectralNorm)
                h = c
            }
        }
    }

    @Test func eachPairOfNetworksTakesItsRate() throws {
        let config = try tinyRun("cyclegan", data: "shapes:square,circle", count: 24, batch: 4, customize: options(lrG: 4e-4, lrD: 1e-4))
        let model = try #require(try makeModel(config.model) as? CycleGANModel)
        let base = config.model.training.optimizer.learningRate
        #expect(base == 2e-4)
        for net in [model.generatorAB, model.generatorBA] { #expect(abs(net.optimizer.learningRate - 4e-4) < 1e-15) }
        for net in [model.discriminatorA, model.discriminatorB] { #expect(abs(net.optimizer.learningRate - 1e-4) < 1e-15) }
        // The decay schedule sets the run's rate; each network keeps its ratio to it.
        model.setLearningRate(base / 2)
        for net in [model.generatorAB, model.generatorBA] { #expect(abs(net.optimizer.learningRate - 2e-4) < 1e-15) }
        for net in [model.discriminatorA, model.discriminatorB] { #expect(abs(net.optimizer.learningRate - 5e-5) < 1e-15) }
        // Without the options every network trains at the run's rate.
        let plain = try #require(try makeModel(try tinyRun("cyclegan", data: "shapes:square,circle", count: 24, batch: 4).model) as? CycleGANModel)
        #expect(plain.networks.allSatisfy { $0.optimizer.learningRate == base })
    }

    @Test func spectralNormalizationCoversBothDiscriminators() throws {
        let config = try tinyRun("cyclegan", data: "shapes:square,circle", count: 24, batch: 4, customize: options(spectralNorm: true))
        let model = try #require(try makeModel(config.model) as? CycleGANModel)
        for net in [model.discriminatorA, model.discriminatorB] {
            let names = net.module.namedParameters().map(\.0)
            let convolutions = net.module.namedModules().filter { $0.1 is Conv2d }.count
            #expect(names.filter { $0.hasSuffix(".weight_orig") }.count == convolutions && convolutions > 0, "\(names)")
        }
        for net in [model.generatorAB, model.generatorBA] {
            #expect(!net.module.namedParameters().contains { $0.0.hasSuffix(".weight_orig") })
        }
    }

    @Test func aRunWithBothResumesExactly() throws {
        let config = try tinyRun("cyclegan", data: "shapes:square,circle", count: 24, batch: 4,
                                 customize: options(lrG: 4e-4, lrD: 1e-4, spectralNorm: true))
        let run = try TrainerTests().expectResumeIsBitIdentical(config)
        try? FileManager.default.removeItem(at: run)
    }

    /// The default translates through a 0.999 average of each generator; `--ema 0` keeps none (as
    /// for the other GANs).
    @Test func aZeroAverageKeepsNone() throws {
        let defaults = try ModelConfig.defaults(for: "cyclegan", dataset: "fashion-mnist:sneaker,ankle-boot",
                                                data: DataDescription(kind: .image, shape: [1, 28, 28], domains: 2))
        #expect(try defaults.hyperparameters(as: CycleGANHyperparameters.self).emaDecay == 0.999)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try deepgen(["train", "cyclegan", "--data", "shapes:square,circle", "--synthetic-count", "24", "--batch-size", "4",
                     "--ema", "0", "--max-steps", "1", "--out", dir.path])
        let config = try TrainedModel(dir.path).config
        #expect(try config.hyperparameters(as: CycleGANHyperparameters.self).emaDecay == nil)
    }

    @Test func badRatesAreRefused() {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = ["train", "cyclegan", "--data", "shapes:square,circle", "--synthetic-count", "24", "--batch-size", "4", "--out", dir.path]
        expectDeepGenError(train + ["--lr-g", "0"], mentioning: ["--lr-g must be positive, got 0.0"])
        expectDeepGenError(train + ["--lr-d", "nan"], mentioning: ["--lr-d must be positive"])
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path))
    }
}
