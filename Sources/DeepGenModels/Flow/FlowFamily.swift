import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenOptimizers

/// Normalizing flows: invertible networks with an exact log-likelihood. `realnvp` is RealNVP
/// (Dinh et al. 2017) for 2-D points.
public enum FlowFamily: ModelFamily {
    public static let variants = [
        ModelVariant("realnvp", "RealNVP (Dinh et al. 2017) for 2-D points: affine couplings with bounded scales, ActNorm, exact likelihood"),
    ]

    public static func options(for variant: String) -> any FamilyOptions<FlowHyperparameters>.Type { RealNVPOptions.self }

    public static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.points]) }

    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: FlowHyperparameters) {
        // A loss spike of one batch (a point deep in a tail) wrecked runs without clipping; the
        // linear decay settles the sharp mixtures (ring8's σ is 0.01).
        var optimizer = OptimizerSettings.adam(learningRate: 1e-3, betas: (0.9, 0.999))
        optimizer.maxGradientNorm = 1
        return (TrainingSettings(epochs: 10, decayEpochs: 20, batchSize: 256, optimizer: optimizer), FlowHyperparameters())
    }

    public static func validate(_ h: FlowHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.couplings, 1..., "--couplings")
        try checkRange(h.hiddenSize, 1..., "--hidden-size")
        try checkRange(h.hiddenLayers, 1..., "--hidden-layers")
        if data.shape.count != 1 || data.shape[0] < 2 {
            throw ConfigurationError(message: "\(variant) couples halves of a vector and needs at least 2 values per example; the data has shape \(data.shape)")
        }
    }

    public static func validateNewRun(_ h: FlowHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.couplings, ...256, "--couplings")
        try checkRange(h.hiddenSize, ...65_536, "--hidden-size")
        try checkRange(h.hiddenLayers, ...64, "--hidden-layers")
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] { [.nll, .modes] }

    public static func makeModel(_ config: ModelConfig, hyperparameters: FlowHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        try FlowModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }
}

/// The flow family's hyperparameters.
public struct FlowHyperparameters: ModelHyperparameters, Equatable {
    /// Affine coupling layers; consecutive ones transform alternate coordinates.
    public var couplings = 8
    /// Units of each hidden layer of a coupling's conditioner.
    public var hiddenSize = 64
    /// Hidden layers of each conditioner.
    public var hiddenLayers = 2
    /// An ActNorm (data-dependent initialization) before every coupling.
    public var actNorm = true

    public init() {}
}

/// `realnvp`'s options.
public struct RealNVPOptions: FamilyOptions {
    @Option(help: "Affine coupling layers (default 8).") var couplings: Int?
    @Option(help: "Units of each hidden layer of a coupling's MLP conditioner (default 64).") var hiddenSize: Int?
    @Option(help: "Hidden layers of each conditioner (default 2).") var hiddenLayers: Int?
    @Flag(inversion: .prefixedNo, help: "An ActNorm layer before every coupling (default on).") var actNorm: Bool?

    public init() {}

    public func apply(to h: inout FlowHyperparameters, variant: String) throws {
        if let couplings { h.couplings = couplings }
        if let hiddenSize { h.hiddenSize = hiddenSize }
        if let hiddenLayers { h.hiddenLayers = hiddenLayers }
        if let actNorm { h.actNorm = actNorm }
    }
}
