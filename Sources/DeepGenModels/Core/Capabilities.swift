import DeepGen
import DeepGenData

// What a model can do beyond training. The trainer, the evaluator and the commands ask for these
// (`model as? PriorSampling`), never for a concrete model class, so a new family gets `sample`,
// `eval` and the rest by conforming.

/// Draws new samples from the model's prior (noise through a generator or decoder).
public protocol PriorSampling: GenerativeModel {
    /// The labels a conditional model generates; `nil` for an unconditional one.
    var conditioningClasses: [Int]? { get }
    /// `count` samples in the data's units, in evaluation mode: of class `label` for a
    /// conditional model (classes in turn when `nil`); `label` must be `nil` otherwise.
    func sample(count: Int, label: Int?, using rng: inout RandomGenerator) -> Tensor
}

extension PriorSampling {
    public var conditioningClasses: [Int]? { nil }
}

/// Samples with the base distribution's standard deviation scaled by a temperature (a flow:
/// below 1 trades variety for typical samples, Kingma & Dhariwal 2018).
public protocol TemperatureSampling: PriorSampling {
    /// As ``PriorSampling/sample(count:label:using:)`` with the base noise scaled by `temperature` (> 0).
    func sample(count: Int, label: Int?, temperature: Float, using rng: inout RandomGenerator) -> Tensor
}

/// A model of raw audio (WaveNet): it generates clips sample by sample, optionally of a class,
/// and scores clips by their exact negative log-likelihood.
public protocol AudioGenerating: GenerativeModel {
    /// Samples per second of what it generates and scores (the training data's rate).
    var sampleRate: Int { get }
    /// Samples an output depends on (the current one and those before it).
    var receptiveField: Int { get }
    /// The labels it is conditioned on; `nil` for an unconditional model.
    var conditioningClasses: [Int]? { get }
    /// The data's names of those labels, where it has names.
    var classNames: [String]? { get }
    /// The speakers it is conditioned on, by index; `nil` for a model not conditioned on speakers.
    var speakerNames: [String]? { get }
    /// One clip of `samples` samples (in [−1, 1]) per entry of `labels` (each a class, or `nil`
    /// for an unconditional model) and of `speakers` (each a speaker for a model conditioned on
    /// them, else `nil`), drawn at `temperature`; `progress` hears the samples done.
    func generate(labels: [Int?], speakers: [Int?], samples: Int, temperature: Float, using rng: inout RandomGenerator,
                  progress: ((Int) -> Void)?) -> [[Float]]
    /// −log p(clip | label, speaker) in nats, every sample given those before it (exact, teacher-forced).
    func negativeLogLikelihood(_ clip: [Float], label: Int?, speaker: Int?) -> Double
}

extension AudioGenerating {
    /// `count` speakers in turn (0, 1, 2, …) for a model conditioned on them, else `nil`s: what
    /// sampling and evaluation use where no speaker is asked for.
    public func speakersInTurn(_ count: Int) -> [Int?] {
        (0..<count).map { i in speakerNames.map { i % $0.count } }
    }

    /// Clips of `labels`, with speakers in turn for a model conditioned on them.
    public func generate(labels: [Int?], samples: Int, temperature: Float, using rng: inout RandomGenerator,
                         progress: ((Int) -> Void)? = nil) -> [[Float]] {
        generate(labels: labels, speakers: speakersInTurn(labels.count), samples: samples, temperature: temperature, using: &rng,
                 progress: progress)
    }
}

/// Keeps a moving average of a network's weights (a GAN's generator with `--ema`) and samples
/// through it by default; the trained weights stay available.
/// A model whose learning rate changes every step (warm-up, then cosine decay): the trainer asks
/// it before each step instead of holding the epoch's rate.
public protocol StepwiseLearningRate: GenerativeModel {
    /// The rate of step `step` (0-based, over the whole run), given the run's rate for the epoch.
    func learningRate(step: Int, base: Double) -> Double
}

/// A model of character sequences: it continues a prompt one character at a time and scores
/// text by its cross-entropy. Ids index the run's vocabulary (`config.data.vocabulary`).
public protocol TextGenerating: GenerativeModel {
    /// The characters ids stand for, in id order.
    var vocabulary: [Unicode.Scalar] { get }
    /// Continues `prompt` (ids; may be empty) by `length` characters drawn from the model's
    /// distribution divided by `temperature`, keeping the `topK` most likely when given, and calls
    /// `emit` with each new id as soon as it is drawn.
    func generate(prompt: [Int], length: Int, temperature: Float, topK: Int?, using rng: inout RandomGenerator, emit: (Int) throws -> Void) rethrows
    /// Total cross-entropy in nats of every predicted character of `windows` (each window's
    /// characters after its first, given those before it in the window) and their count.
    func crossEntropy(_ windows: TextWindows) throws -> (nats: Double, characters: Int)
}

public protocol WeightAveraging: GenerativeModel {
    /// Whether sampling (and everything built on it: previews, `sample`, `eval`) uses the
    /// averaged weights (the default) or the trained ones.
    var usesAveragedWeights: Bool { get set }
}

/// Says where a step's non-finite loss came from (a flow names the first layer whose output
/// turned non-finite), for the divergence message.
public protocol DivergenceExplaining: GenerativeModel {
    /// Where the last step's non-finite loss arose; `nil` when it was finite or is unknown.
    var nonFiniteSource: String? { get }
}

/// Fits an unnormalized target density `exp(−U)` (planar and radial flows on an energy): its
/// reverse KL divergence from the target is what `deepgen eval` reports.
public protocol TargetDensityFitting: GenerativeModel {
    /// KL(q‖p) in nats, estimated from `samples` draws of the model.
    func reverseKL(samples: Int, using rng: inout RandomGenerator) throws -> Double
}

/// Translates images between two domains (CycleGAN).
public protocol DomainTranslating: GenerativeModel {
    /// Images of domain A as domain B (`aToB`) or back, in evaluation mode.
    func translate(_ images: Tensor, aToB: Bool) -> Tensor
}

/// Encodes images to a latent space and decodes them back (VAEs).
public protocol Reconstructing: GenerativeModel {
    /// Images through the encoder's mean and the decoder, in evaluation mode.
    func reconstruct(_ images: Tensor) -> Tensor
    /// `steps` images along the straight latent line between `a` and `b` (each `[1, C, H, W]`).
    func interpolate(from a: Tensor, to b: Tensor, steps: Int) -> Tensor
}

/// Scores the log-likelihood of data: exactly (flows) or by a bound and an estimate (VAEs).
public protocol LikelihoodScoring: GenerativeModel {
    /// Whether ``logLikelihood(_:indices:samples:using:)``'s estimate is exact (a flow, a
    /// Gaussian) rather than a bound and an importance-sampled estimate (a VAE).
    var likelihoodIsExact: Bool { get }
    /// The importance samples `deepgen eval` uses when `--iwae-samples` is not given (a VAE's
    /// 5,000; a flow's 1).
    var defaultImportanceSamples: Int { get }
    /// Per example, a lower bound and an estimate of log p(x) in nats (equal when exact), from
    /// `samples` importance samples where the model needs them. `indices` are the examples'
    /// positions in their dataset (a binarizing VAE gives each its fixed bits).
    func logLikelihood(_ x: Tensor, indices: [Int], samples: Int, using rng: inout RandomGenerator) throws -> (bound: [Double], estimate: [Double])
}

extension LikelihoodScoring {
    public var likelihoodIsExact: Bool { false }
    public var defaultImportanceSamples: Int { 5000 }
}

/// A metric a model reports on the test split after every epoch.
public struct EpochMetric: Sendable {
    /// Its `metrics.csv` column.
    public var column: String
    /// Its TensorBoard tag.
    public var tag: String
    public var value: Float
    /// The line the progress output shows (none when empty).
    public var message: String

    public init(column: String, tag: String, value: Float, message: String) {
        self.column = column
        self.tag = tag
        self.value = value
        self.message = message
    }
}

/// Reports metrics on the test split after every epoch (a VAE's negative ELBO, a classifier's accuracy).
public protocol TestSetEvaluating: GenerativeModel {
    /// The `metrics.csv` columns of ``evaluateTestSet(_:)``'s metrics.
    var testMetricColumns: [String] { get }
    func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric]
}

/// Classifies images (the classifier family): its test accuracy is a metric and a trained one is
/// the feature extractor of `deepgen eval`.
public protocol Classifying: GenerativeModel {
    /// The model as a feature extractor, in evaluation mode.
    func featureExtractor(source: String) -> FeatureExtractor
}
