import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenModels
import DeepGenNN
import Foundation

// A model family defined outside the package, in this one file: a diagonal Gaussian fitted by
// maximum likelihood. `PluginFamilyTests` registers it (`ModelFamilies.register`) and drives it
// through the `deepgen` commands; DESIGN.md's "How to add a model family" walks through it.

/// The family's descriptor: names, data, defaults, rules, metrics, construction.
enum DiagonalGaussianFamily: ModelFamily {
    static let variants = [ModelVariant("gaussian", "diagonal Gaussian fitted by maximum likelihood (a test family)")]

    static func options(for variant: String) -> any FamilyOptions<GaussianHyperparameters>.Type { GaussianOptions.self }

    static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.points, .image]) }

    static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: GaussianHyperparameters) {
        (TrainingSettings(epochs: 3, batchSize: 64, optimizer: .adam(learningRate: 0.05, betas: (0.9, 0.999))), GaussianHyperparameters())
    }

    static func validate(_ h: GaussianHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        if !h.initialLogScale.isFinite { throw ConfigurationError(message: "the initial log-scale must be finite, got \(h.initialLogScale)") }
    }

    static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] {
        data.kind == .points ? [.nll, .modes] : [.nll]
    }

    static func makeModel(_ config: ModelConfig, hyperparameters: GaussianHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        DiagonalGaussianModel(config: config, hyperparameters: hyperparameters)
    }
}

/// Its own hyperparameters (in `config.json` under `hyperparameters`).
struct GaussianHyperparameters: ModelHyperparameters, Equatable {
    /// log σ of every coordinate before training.
    var initialLogScale: Float = 0
    /// For the divergence tests: the optimizer step whose gradient is NaN (the loss stays finite).
    var nanGradientAtStep: Int? = nil
}

/// Its own command-line options (`deepgen train gaussian --help` lists them).
struct GaussianOptions: FamilyOptions {
    @Option(help: "log σ of every coordinate before training (default 0).") var initialLogScale: Float?

    func apply(to h: inout GaussianHyperparameters, variant: String) throws {
        if let initialLogScale { h.initialLogScale = initialLogScale }
    }
}

/// The network: a mean and a log-scale per coordinate.
final class GaussianModule: Module {
    let mean: Parameter
    let logScale: Parameter

    init(shape: [Int], logScale: Float) {
        mean = Parameter(Tensor(zeros: shape))
        self.logScale = Parameter(Tensor(shape: shape, scalars: [Float](repeating: logScale, count: shape.reduce(1, *))))
    }

    /// −log N(x; μ, σ²) per sample, summed over coordinates.
    func negativeLogLikelihood(_ x: Tensor) -> Tensor {
        let z = (x - mean.value) * (-logScale.value).exp()
        let perValue = 0.5 * z * z + logScale.value + Float(0.5 * log(2 * Double.pi))
        return perValue.flattened(from: 1).sum(axis: 1)
    }
}

/// The model: trains by maximum likelihood, samples, and scores exact log-likelihoods.
final class DiagonalGaussianModel: GenerativeModel, PriorSampling, LikelihoodScoring {
    let config: ModelConfig
    let gaussian: GaussianModule
    let network: TrainableNetwork
    var networks: [TrainableNetwork] { [network] }
    var lossNames: [String] { ["nll"] }

    let nanGradientAtStep: Int?

    init(config: ModelConfig, hyperparameters: GaussianHyperparameters) {
        self.config = config
        nanGradientAtStep = hyperparameters.nanGradientAtStep
        gaussian = GaussianModule(shape: config.sampleShape, logScale: hyperparameters.initialLogScale)
        network = TrainableNetwork(name: "gaussian", module: gaussian, optimizer: config.training.optimizer.makeOptimizer())
    }

    func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        var loss = gaussian.negativeLogLikelihood(batch.inputs).mean()
        if network.optimizer.stepCount + 1 == nanGradientAtStep {
            // √(μ − μ) is 0, its derivative 0·∞: a finite loss with a NaN gradient.
            loss = loss + (gaussian.mean.value - gaussian.mean.value).sqrt().sum()
        }
        return ["nll": optimize(loss, [network])]
    }

    func sample(count: Int, label: Int?, using rng: inout RandomGenerator) -> Tensor {
        withoutGrad { gaussian.mean.value + gaussian.logScale.value.exp() * Tensor.normal([count] + config.sampleShape, using: &rng) }
    }

    func preview() -> Preview {
        var rng = RandomGenerator(seed: config.training.seed)
        let points = config.data.kind == .points
        let samples = sample(count: points ? 500 : 16, label: nil, using: &rng)
        return points ? .points(samples) : .images(samples, columns: 4)
    }

    var likelihoodIsExact: Bool { true }

    func logLikelihood(_ x: Tensor, indices: [Int], samples: Int, using rng: inout RandomGenerator) throws -> (bound: [Double], estimate: [Double]) {
        let exact = withoutGrad { gaussian.negativeLogLikelihood(x) }.scalars.map { -Double($0) }
        return (exact, exact)
    }
}
