import DeepGen
import DeepGenData
import Foundation

/// A normalizing flow trained by maximum likelihood: exact log-likelihoods, samples through
/// the inverse (with a temperature), and the test split's negative log-likelihood every epoch.
public final class FlowModel: GenerativeModel, TemperatureSampling, LikelihoodScoring, TestSetEvaluating, DivergenceExplaining {
    public let config: ModelConfig
    public let realNVP: RealNVPPoints
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["nll"] }
    public private(set) var nonFiniteSource: String?

    /// Values per example (2 for points).
    var features: Int { config.sampleShape.reduce(1, *) }

    public init(config: ModelConfig, hyperparameters h: FlowHyperparameters, using rng: inout RandomGenerator) throws {
        self.config = config
        guard config.sampleShape.count == 1 else {
            throw ConfigurationError(message: "\(config.model) trains on vectors (2-D points); the data has shape \(config.sampleShape)")
        }
        realNVP = RealNVPPoints(features: config.sampleShape[0], couplings: h.couplings, hiddenSize: h.hiddenSize,
                                hiddenLayers: h.hiddenLayers, actNorm: h.actNorm, using: &rng)
        network = TrainableNetwork(name: "flow", module: realNVP, optimizer: config.training.optimizer.makeOptimizer())
    }

    /// Minimizes the negative log-likelihood in nats per example.
    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let loss = -realNVP.logProbability(batch.inputs).mean()
        let value = optimize(loss, [network])
        nonFiniteSource = value.isFinite ? nil : realNVP.flow.firstNonFiniteLayer(batch.inputs).map {
            "first non-finite output: flow.\($0)"
        }
        return ["nll": value]
    }

    public func sample(count: Int, label: Int?, using rng: inout RandomGenerator) -> Tensor {
        sample(count: count, label: label, temperature: 1, using: &rng)
    }

    public func sample(count: Int, label: Int?, temperature: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(label == nil, "[FlowModel] \(config.model) is unconditional")
        precondition(temperature > 0 && temperature.isFinite, "[FlowModel] the temperature must be positive, got \(temperature)")
        return evaluating { realNVP.sample(count: count, features: features, temperature: temperature, using: &rng) }
    }

    public func preview() -> Preview {
        var rng = RandomGenerator(seed: config.training.seed)
        return .points(sample(count: 500, label: nil, using: &rng))
    }

    public var likelihoodIsExact: Bool { true }

    public func logLikelihood(_ x: Tensor, indices: [Int], samples: Int, using rng: inout RandomGenerator) throws -> (bound: [Double], estimate: [Double]) {
        let exact = evaluating { realNVP.logProbability(x) }.scalars.map { Double($0) }
        return (exact, exact)
    }

    public var testMetricColumns: [String] { ["test_nll"] }

    /// The exact negative log-likelihood of the whole test split, in nats per example.
    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        let loader = try DataLoader(dataset: test, batchSize: 1000, shuffle: false, dropLast: false, prefetch: true)
        var total = 0.0, count = 0
        try evaluating {
            while let batch = try loader.next() {
                total -= realNVP.logProbability(batch.images).scalars.reduce(0) { $0 + Double($1) }
                count += batch.count
            }
        }
        let nll = Float(total / Double(max(count, 1)))
        let bits = Double(nll) / (Double(features) * log(2))
        return [EpochMetric(column: "test_nll", tag: "test/nll", value: nll,
                            message: String(format: "test NLL %.4f nats per example (%.4f bits per dimension)", nll, bits))]
    }
}
