import DeepGen
import DeepGenData
import DeepGenNN
import DeepGenOptimizers
import Foundation

/// One batch as a model's training step sees it.
public struct TrainingBatch {
    /// Images `[N, C, H, W]` or points `[N, 2]` (domain A for two-domain data).
    public var inputs: Tensor
    /// Class labels (used by conditional models and classifiers).
    public var labels: [Int]
    /// Domain B images of two-domain data.
    public var secondInputs: Tensor?
    /// Each sample's speaker, where the audio set has speakers (`nil` otherwise).
    public var speakers: [Int]?

    public init(inputs: Tensor, labels: [Int], secondInputs: Tensor? = nil, speakers: [Int]? = nil) {
        self.inputs = inputs
        self.labels = labels
        self.secondInputs = secondInputs
        self.speakers = speakers
    }
}

/// What a model shows after each epoch.
public enum Preview {
    /// Images in the data's range, laid out `columns` to a row.
    case images(Tensor, columns: Int)
    /// Points, drawn over the training data.
    case points(Tensor)
    /// Audio clips in [−1, 1] at `sampleRate`, each with a caption (its class name, or empty):
    /// written as WAV files with a spectrogram grid beside them.
    case audio([[Float]], sampleRate: Int, labels: [String])
    /// A file the model encodes itself (audio, text), written as `samples/epoch-NNN.<fileExtension>`.
    case file(Data, fileExtension: String)
    /// Nothing to show (a classifier).
    case none
}

/// A model DeepGen can train: its networks with their optimizers, one training step, and what it
/// shows after each epoch. What else it can do (sample, translate, reconstruct, score
/// likelihoods) it declares by conforming to the capability protocols (`Capabilities.swift`).
/// Implementations print nothing and parse nothing.
public protocol GenerativeModel: AnyObject {
    var config: ModelConfig { get }
    /// The networks with their optimizers, in a fixed order.
    var networks: [TrainableNetwork] { get }
    /// The names of the losses `trainStep` reports, in display order.
    var lossNames: [String] { get }
    /// One optimization step; returns each loss by name. A non-finite loss means the step was
    /// not applied (see ``optimize(_:_:)``).
    func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float]
    /// Takes what it needs from the training data before the first step or preview (CycleGAN
    /// keeps a few fixed images of each domain). Default: nothing.
    func prepare(trainingData: any Dataset) throws
    /// A deterministic preview for the per-epoch grid (same noise every epoch), in the data's
    /// units, with networks in evaluation mode.
    func preview() -> Preview
    /// Modules saved with the weights but not trained by an optimizer (a generator's moving
    /// average, `generator_ema`): in the weights file under their name, loaded for sampling too.
    var averagedNetworks: [(name: String, module: Module)] { get }
    /// Extra state beyond networks and optimizers (CycleGAN's image pools).
    func extraState() -> [String: Tensor]
    func loadExtraState(_ tensors: [String: Tensor]) throws
}

extension GenerativeModel {
    public func prepare(trainingData: any Dataset) throws {}
    public var averagedNetworks: [(name: String, module: Module)] { [] }
    public func extraState() -> [String: Tensor] { [:] }
    public func loadExtraState(_ tensors: [String: Tensor]) throws {}

    /// Sets every optimizer's learning rate (a schedule calls this at each epoch), times each
    /// network's ``TrainableNetwork/learningRateFactor``.
    public func setLearningRate(_ rate: Double) {
        for n in networks { n.optimizer.learningRate = rate * n.learningRateFactor }
    }

    /// Runs `body` with every network in evaluation mode, restoring training mode after.
    public func evaluating<R>(_ body: () throws -> R) rethrows -> R {
        let modes = networks.map { $0.module.isTraining }
        for n in networks { n.module.eval() }
        defer { for (n, m) in zip(networks, modes) { n.module.train(m) } }
        return try withoutGrad(body)
    }

    /// The networks' weights and buffers (`generator.main.0.weight`, …) with the configuration
    /// in the metadata: what `deepgen export` writes and sampling or evaluation needs.
    public func weightsCheckpoint() throws -> Checkpoint {
        var c = Checkpoint()
        for n in networks { c.insert(n.module.stateDict(), under: n.name + ".") }
        for (name, module) in averagedNetworks { c.insert(module.stateDict(), under: name + ".") }
        try c.setMetadataValue(config, forKey: CheckpointKey.modelConfiguration)
        return c
    }

    /// The model's complete state: network weights and buffers, optimizer state, dropout
    /// generators and extra state, with the configuration in the metadata.
    public func checkpoint() throws -> Checkpoint {
        var c = try weightsCheckpoint()
        for n in networks {
            c.insert(n.optimizer.stateTensors(), under: "optimizer.\(n.name).")
            for (k, v) in n.optimizer.stateMetadata() { c.metadata["optimizer.\(n.name).\(k)"] = v }
            for (path, m) in n.module.namedModules() {
                if let d = m as? Dropout { c.metadata["rng.\(n.name).\(path)"] = d.generator.state.map(String.init).joined(separator: ",") }
            }
        }
        c.insert(extraState(), under: "extra.")
        return c
    }

    /// Restores everything ``checkpoint()`` saved. With `weightsOnly`, optimizer and extra state
    /// are ignored (for sampling). Every mismatch is reported by name.
    public func restore(from c: Checkpoint, weightsOnly: Bool = false) throws {
        // Format 1 joined a network's name to its parameter names without a dot ("generatormain.0.weight").
        let version = (try? c.metadataValue(Int.self, forKey: CheckpointKey.formatVersion)) ?? nil
        let dot = (version ?? Checkpoint.formatVersion) >= 2 ? "." : ""
        for n in networks {
            try n.module.load(stateDict: c.tensors(under: n.name + dot))
            if weightsOnly { continue }
            var meta: [String: String] = [:]
            for (k, v) in c.metadata where k.hasPrefix("optimizer.\(n.name).") { meta[String(k.dropFirst("optimizer.\(n.name).".count))] = v }
            try n.optimizer.loadState(tensors: c.tensors(under: "optimizer.\(n.name)" + dot), metadata: meta)
            for (path, m) in n.module.namedModules() {
                guard let d = m as? Dropout else { continue }
                guard let text = c.metadata["rng.\(n.name).\(path)"] else {
                    throw CheckpointRestoreError(message: "checkpoint has no dropout generator state for \(n.name).\(path)")
                }
                let words = text.split(separator: ",").compactMap { UInt64($0) }
                guard words.count == 4, words.contains(where: { $0 != 0 }) else {
                    throw CheckpointRestoreError(message: "dropout generator state for \(n.name).\(path) is malformed: \(text)")
                }
                d.generator = RandomGenerator(state: words)
            }
        }
        for (name, module) in averagedNetworks { try module.load(stateDict: c.tensors(under: name + ".")) }
        if !weightsOnly { try loadExtraState(c.tensors(under: "extra" + dot)) }
    }
}

/// A checkpoint that does not fit the model it is loaded into.
public struct CheckpointRestoreError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
