import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenOptimizers

/// The text family: character-level language models on `shakespeare` or `text:PATH`. `gpt` is a
/// transformer in the standard minimal GPT's layout, trained with its recipe (AdamW decaying only
/// matrices, warm-up then cosine decay, gradient clipping by global norm).
public enum TextFamily: ModelFamily {
    public static let variants = [
        ModelVariant("gpt", "character-level GPT (nanoGPT's layout): pre-LayerNorm transformer blocks, tied output layer, key/value-cached sampling"),
        ModelVariant("char-rnn", "character-level LSTM (Karpathy's char-rnn): embedding, 2 LSTM layers of 128 units, linear output"),
    ]

    public static func options(for variant: String) -> any FamilyOptions<TextHyperparameters>.Type {
        variant == "char-rnn" ? CharRNNOptions.self : GPTOptions.self
    }

    public static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.text]) }

    public static func dataRequest(_ h: TextHyperparameters, variant: String) -> DataRequest {
        DataRequest(range: .minusOneToOne, sequenceLength: h.blockSize)
    }

    /// The published default: a smaller sibling of nanoGPT's Shakespeare recipe (6 blocks of 6
    /// heads, 192 wide, context 128, batch 32, dropout 0.1, 5,000 steps, learning rate 1e-3 to
    /// 1e-4). ``cpuRecipe`` is the standard minimal GPT's CPU recipe.
    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: TextHyperparameters) {
        if variant == "char-rnn" {
            // char-rnn's train.lua: RMSprop 2e-3 with decay rate 0.95, sequences of 50, batch 50,
            // gradients clipped at 5 (by norm here), 2 layers of 128 units, no dropout.
            let optimizer = OptimizerSettings(kind: .rmsprop, learningRate: 2e-3, epsilon: 1e-8, alpha: 0.95, maxGradientNorm: 5)
            var h = TextHyperparameters()
            (h.blockSize, h.layers, h.heads, h.embedding, h.dropout, h.bias, h.hiddenSize) = (50, 2, nil, 128, 0, nil, 128)
            (h.warmupSteps, h.minLearningRate) = (0, nil)
            return (TrainingSettings(epochs: 10, batchSize: 50, optimizer: optimizer), h)
        }
        var optimizer = OptimizerSettings(kind: .adamw, learningRate: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1, maxGradientNorm: 1)
        optimizer.decayMatricesOnly = true
        var t = TrainingSettings(epochs: 1, batchSize: 32, optimizer: optimizer)
        t.steps = 5000
        return (t, TextHyperparameters())
    }

    /// The standard minimal GPT's CPU recipe (4 blocks of 4 heads, 128 wide, context 64, batch 12,
    /// no dropout, 2,000 steps): `deepgen train gpt --layers 4 --heads 4 --embedding 128
    /// --block-size 64 --batch-size 12 --dropout 0 --total-steps 2000`; the benchmark's model.
    public static func cpuRecipe(_ settings: inout TrainingSettings, _ h: inout TextHyperparameters) {
        (h.layers, h.heads, h.embedding, h.blockSize, h.dropout) = (4, 4, 128, 64, 0)
        settings.batchSize = 12
        settings.steps = 2000
    }

    public static func adapt(_ h: inout TextHyperparameters, variant: String, data: DataDescription, dataset: any Dataset) throws {
        h.vocabularySize = data.vocabulary?.unicodeScalars.count ?? 0
    }

    public static func validate(_ h: TextHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        func fail(_ m: String) throws { throw ConfigurationError(message: m) }
        try checkRange(h.blockSize, 1..., variant == "char-rnn" ? "--sequence-length" : "--block-size")
        try checkRange(h.layers, 1..., "--layers")
        try checkRange(h.embedding, 1..., "--embedding")
        if variant == "char-rnn" {
            if h.heads != nil || h.bias != nil { try fail("char-rnn has no attention heads or bias option (they are gpt's)") }
            guard let hidden = h.hiddenSize else { try fail("char-rnn needs a hidden size"); return }
            try checkRange(hidden, 1..., "--hidden-size")
        } else {
            if h.hiddenSize != nil { try fail("--hidden-size is char-rnn's; gpt has --embedding") }
            guard let heads = h.heads else { try fail("gpt needs a number of heads"); return }
            try checkRange(heads, 1..., "--heads")
            if h.embedding % heads != 0 { try fail("--embedding \(h.embedding) must be a multiple of --heads \(heads) (each head gets embedding/heads values)") }
        }
        if !(h.dropout >= 0 && h.dropout < 1) { try fail("--dropout must be in [0, 1), got \(h.dropout)") }
        try checkRange(h.warmupSteps, 0..., "--warmup-steps")
        if let d = h.decaySteps { try checkRange(d, 1..., "--decay-steps") }
        if let m = h.minLearningRate, !(m >= 0 && m.isFinite) { try fail("--min-lr must be zero or positive, got \(m)") }
        let characters = data.vocabulary?.unicodeScalars.count ?? 0
        if characters == 0 || characters != h.vocabularySize {
            try fail("\(variant) needs the text's vocabulary (the data gives \(characters) characters, the model has \(h.vocabularySize))")
        }
        if data.shape != [h.blockSize + 1] { try fail("the data gives windows of \(data.shape) characters; the model reads \(h.blockSize) plus the next") }
    }

    public static func validateNewRun(_ h: TextHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.blockSize, ...65_536, "--block-size")
        try checkRange(h.layers, ...1024, "--layers")
        try checkRange(h.embedding, ...65_536, "--embedding")
        if let hidden = h.hiddenSize { try checkRange(hidden, ...65_536, "--hidden-size") }
        if let m = h.minLearningRate, m > training.optimizer.learningRate {
            throw ConfigurationError(message: "--min-lr \(m) is above the learning rate \(training.optimizer.learningRate): the cosine decay goes down to it")
        }
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] { [] }

    public static func makeModel(_ config: ModelConfig, hyperparameters: TextHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        try TextModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }
}

/// The text family's hyperparameters.
public struct TextHyperparameters: ModelHyperparameters, Equatable {
    /// Characters of context: the model reads this many and predicts the next after each.
    /// char-rnn: the length of the sequences it is trained on (`--sequence-length`).
    public var blockSize = 128
    public var layers = 6
    /// gpt: attention heads per block.
    public var heads: Int? = 6
    /// Width of the embeddings and the residual stream.
    public var embedding = 192
    /// Dropout after the embeddings, each attention output and each MLP.
    public var dropout: Float = 0.1
    /// gpt: biases in the Linear and LayerNorm layers (nanoGPT's training default has none).
    public var bias: Bool? = false
    /// char-rnn: units of each LSTM layer.
    public var hiddenSize: Int?
    /// Steps of linear warm-up of the learning rate.
    public var warmupSteps = 100
    /// Steps over which the rate decays by a cosine to `minLearningRate`; `nil`: the whole run.
    public var decaySteps: Int?
    /// Where the cosine decay ends; `nil` keeps the rate constant after the warm-up.
    public var minLearningRate: Double? = 1e-4
    /// Characters in the vocabulary (taken from the data).
    public var vocabularySize = 0

    public init() {}
}

/// `gpt`'s options.
public struct GPTOptions: FamilyOptions {
    @Option(help: "Characters of context (default 128).") var blockSize: Int?
    @Option(help: "Transformer blocks (default 6).") var layers: Int?
    @Option(help: "Attention heads per block (default 6).") var heads: Int?
    @Option(help: "Width of the embeddings and the residual stream (default 192).") var embedding: Int?
    @Option(help: "Dropout after the embeddings, on the attention probabilities, after each attention projection and MLP (default 0.1).") var dropout: Float?
    @Flag(help: "Biases in the Linear and LayerNorm layers (nanoGPT's training default has none).") var bias = false
    @Option(help: "Steps of linear learning-rate warm-up (default 100).") var warmupSteps: Int?
    @Option(help: "Steps of cosine decay to --min-lr (default: the whole run).") var decaySteps: Int?
    @Option(help: "Learning rate the cosine decay ends at (default 1e-4).") var minLr: Double?

    public init() {}

    public func apply(to h: inout TextHyperparameters, variant: String) throws {
        if let blockSize { h.blockSize = blockSize }
        if let layers { h.layers = layers }
        if let heads { h.heads = heads }
        if let embedding { h.embedding = embedding }
        if let dropout { h.dropout = dropout }
        if bias { h.bias = true }
        if let warmupSteps { h.warmupSteps = warmupSteps }
        if let decaySteps { h.decaySteps = decaySteps }
        if let minLr { h.minLearningRate = minLr }
    }
}

/// `char-rnn`'s options.
public struct CharRNNOptions: FamilyOptions {
    @Option(help: "Characters per training sequence (default 50).") var sequenceLength: Int?
    @Option(help: "LSTM layers (default 2).") var layers: Int?
    @Option(help: "Units of each LSTM layer (default 128).") var hiddenSize: Int?
    @Option(help: "Width of the character embedding (default 128).") var embedding: Int?
    @Option(help: "Dropout between LSTM layers (default 0).") var dropout: Float?

    public init() {}

    public func apply(to h: inout TextHyperparameters, variant: String) throws {
        if let sequenceLength { h.blockSize = sequenceLength }
        if let layers { h.layers = layers }
        if let hiddenSize { h.hiddenSize = hiddenSize }
        if let embedding { h.embedding = embedding }
        if let dropout { h.dropout = dropout }
    }
}
