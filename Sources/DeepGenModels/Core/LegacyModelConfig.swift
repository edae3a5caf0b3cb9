import DeepGen
import DeepGenData
import DeepGenOptimizers

/// The flat configuration every family shared before families became plug-ins (checkpoint
/// format 2 and earlier, until 2026-12): kept so that `config.json` files and checkpoints of that
/// time still load. Each built-in family maps it to its own hyperparameters
/// (``ModelFamily/hyperparameters(fromLegacy:)``).
public struct LegacyModelConfig: Decodable, Sendable {
    public var model: String
    public var dataset: String
    public var sampleShape: [Int]
    public var seed: UInt64
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var latentSize: Int
    public var width: Int
    public var objective: GANObjective
    public var classCount: Int
    public var classes: [Int]?
    public var criticSteps: Int
    public var gradientPenaltyWeight: Float
    public var r1Weight: Float?
    public var dataScale: Float?
    public var hiddenSize: Int
    public var likelihood: VAELikelihood
    public var klWeight: Float
    public var binarize: Bool?
    public var residualBlocks: Int
    public var patchLayers: Int
    public var cycleWeight: Float
    public var identityFraction: Float
    public var poolSize: Int
    public var decayEpochs: Int

    /// The shared training settings it held (always Adam then).
    public var training: TrainingSettings {
        TrainingSettings(seed: seed, epochs: epochs, decayEpochs: decayEpochs, batchSize: batchSize,
                         optimizer: .adam(learningRate: learningRate, betas: (beta1, beta2)))
    }

    /// What the data was, as far as the flat configuration recorded it: VAEs trained on [0, 1]
    /// pixels, everything else on [−1, 1]; a one-dimensional sample was a 2-D point.
    public var data: DataDescription {
        let points = sampleShape.count == 1
        // Only the conditional models kept their label space.
        let classLabels = ["cdcgan", "classifier"].contains(model) ? (classes ?? Array(0..<classCount)) : nil
        return DataDescription(kind: points ? .points : .image, shape: sampleShape,
                               range: points ? nil : (["vae", "conv-vae"].contains(model) ? .zeroToOne : .minusOneToOne),
                               classLabels: classLabels, domains: model == "cyclegan" ? 2 : 1)
    }
}
