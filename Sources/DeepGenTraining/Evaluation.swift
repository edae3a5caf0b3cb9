import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenModels
import Foundation

/// What to compute and on how many samples.
public struct EvaluationOptions: Sendable {
    public var metrics: [MetricName]
    /// Generated samples and real test images compared (at most the test set); `nil`: 10,000
    /// for images, 2,500 for mode coverage (the protocol's count).
    public var count: Int?
    /// Seed of the generator's noise (and of KID's subsets, and the posterior draws of `nll`).
    public var seed: UInt64 = 0
    /// Independent draws of 2-D samples (seeds `seed`, `seed + 1`, …) that mode coverage averages.
    public var repeats: Int = 4
    /// Importance samples per image for `nll`; `nil`: the model's default (a VAE's 5,000).
    public var importanceSamples: Int? = nil
    public var kidSubsets: Int = 100
    public var kidSubsetSize: Int = 1000
    public var neighbours: Int = 3
    /// Also score `count` training images in place of samples: what a perfect generator would
    /// get at this sample size (FID and KID are biased upward for finite samples).
    public var reference = true

    public init(metrics: [MetricName], count: Int? = nil, seed: UInt64 = 0) {
        self.metrics = metrics
        self.count = count
        self.seed = seed
    }
}

/// Mode coverage over several sample seeds, with the averages the tables report.
public struct ModeCoverageSummary: Codable, Equatable, Sendable {
    public var perSeed: [ModeCoverage]
    public var seeds: [UInt64]
    public var meanModesCovered: Double
    public var meanHighQualityFraction: Double
    public var meanKLFromUniform: Double
}

/// One direction of a CycleGAN's translation of the test set.
public struct TranslationResult: Codable, Equatable, Sendable {
    /// `AtoB` or `BtoA`.
    public var direction: String
    public var imageCount: Int
    /// Share of translations the classifier assigns to the target domain's class (nil when the
    /// domains are not classes of the extractor's dataset).
    public var targetClassShare: Double?
    /// Mean |F(G(x)) − x| with pixels on a 0–1 scale.
    public var cycleL1: Double
    /// FID of the translations against the target domain's test images (nil without an extractor).
    public var fid: Double?
}

/// The feature metrics of one set of images against the test set.
public struct FeatureScores: Codable, Equatable, Sendable {
    public var fid: Double?
    public var kid: KernelDistance?
    public var pr: ManifoldMetrics?
    public var score: ClassifierScore?

    public init(fid: Double? = nil, kid: KernelDistance? = nil, pr: ManifoldMetrics? = nil, score: ClassifierScore? = nil) {
        self.fid = fid
        self.kid = kid
        self.pr = pr
        self.score = score
    }
}

/// Everything one evaluation measured; `nil` fields were not asked for. Written as `eval.json`.
public struct EvaluationResults: Codable, Equatable, Sendable {
    public var fid: Double?
    public var kid: KernelDistance?
    public var pr: ManifoldMetrics?
    public var score: ClassifierScore?
    /// The classifier score of the real test images compared against: the reference value.
    public var realScore: ClassifierScore?
    /// For a conditional model: the share of samples the classifier assigns to their conditioning class.
    public var conditionalAccuracy: Double?
    public var modes: ModeCoverageSummary?
    public var nll: LikelihoodEstimate?
    public var translation: [TranslationResult]?
    public var accuracy: Double?
    /// KL(q‖p) in nats of a model fitted to a target density, and the draws it was estimated from.
    public var kl: Double?
    public var klSamples: Int?
    /// The same feature metrics for training images in place of samples (the data's own floor).
    public var reference: FeatureScores?

    public init() {}

    /// `self` with every metric `newer` holds replacing the old value.
    public func merged(with newer: EvaluationResults) -> EvaluationResults {
        var r = self
        r.fid = newer.fid ?? fid
        r.kid = newer.kid ?? kid
        r.pr = newer.pr ?? pr
        r.score = newer.score ?? score
        r.realScore = newer.realScore ?? realScore
        r.conditionalAccuracy = newer.conditionalAccuracy ?? conditionalAccuracy
        r.modes = newer.modes ?? modes
        r.nll = newer.nll ?? nll
        r.translation = newer.translation ?? translation
        r.accuracy = newer.accuracy ?? accuracy
        r.kl = newer.kl ?? kl
        r.klSamples = newer.klSamples ?? klSamples
        r.reference = newer.reference ?? reference
        return r
    }
}

/// The record `deepgen eval` writes: which model, data and extractor, and the results.
public struct EvaluationReport: Codable, Equatable, Sendable {
    public var checkpoint: String
    public var model: String
    public var dataset: String
    public var epoch: Int?
    public var extractor: String?
    public var count: Int?
    public var seed: UInt64
    public var seconds: Double
    /// Which weights sampled, for a model that keeps a moving average: "average" or "trained";
    /// `nil` for other models.
    public var weights: String?
    public var results: EvaluationResults

    public init(checkpoint: String, model: String, dataset: String, epoch: Int?, extractor: String?, count: Int?, seed: UInt64,
                seconds: Double, weights: String? = nil, results: EvaluationResults) {
        self.checkpoint = checkpoint
        self.model = model
        self.dataset = dataset
        self.epoch = epoch
        self.extractor = extractor
        self.count = count
        self.seed = seed
        self.seconds = seconds
        self.weights = weights
        self.results = results
    }
}

/// The metrics that apply to `config`'s model when none are named (its family's choice).
public func defaultMetrics(for config: ModelConfig) throws -> [MetricName] {
    try config.family().defaultMetrics(config.model, data: config.data)
}

/// The modes of a 2-D dataset with discrete ones (ring8, grid25), for mode coverage.
public func modes(of dataset: any Dataset) -> (centers: [(x: Float, y: Float)], standardDeviation: Float)? {
    (dataset as? any ModalDataset)?.modes
}

/// Evaluates a trained model: generates samples, extracts features of samples and test images,
/// and computes the requested metrics, asking the model for the capability each metric needs.
/// Real features are computed once per evaluator (the trainer's `--eval-every` reuses them
/// every time).
public final class ModelEvaluator {
    public let model: any GenerativeModel
    public let config: ModelConfig
    public let data: RunData
    public let extractor: FeatureExtractor?
    private var realCache: [Int: (features: Tensor, probabilities: Tensor)] = [:]

    public init(model: any GenerativeModel, data: RunData, extractor: FeatureExtractor?) throws {
        self.model = model
        config = model.config
        self.data = data
        self.extractor = extractor
        if let extractor, config.data.kind == .image, extractor.imageShape != config.sampleShape {
            throw MetricError.invalidExtractor("the feature extractor (\(extractor.source)) takes images of shape \(extractor.imageShape); the model makes \(config.sampleShape)")
        }
    }

    /// The pixel range the model's images are in.
    public var range: PixelRange { config.data.range ?? .minusOneToOne }

    public func evaluate(_ options: EvaluationOptions) throws -> EvaluationResults {
        var results = EvaluationResults()
        let metrics = Set(options.metrics)
        for m in options.metrics where m.needsExtractor && extractor == nil {
            throw MetricError.invalidExtractor("\(m.rawValue) needs a feature extractor for \(data.options.spec): train one with `deepgen train classifier --data \(data.options.spec)` and pass --extractor RUN")
        }
        let featureMetrics = metrics.intersection([.fid, .kid, .pr, .score])
        if !featureMetrics.isEmpty {
            guard config.data.kind == .image, let sampler = model as? PriorSampling else {
                throw MetricError.unsupported("\(featureMetrics.map(\.rawValue).sorted().joined(separator: ", ")) compare generated images; \(config.model) on \(config.data.kind.noun) does not generate images from noise")
            }
            let n = options.count ?? 10_000
            let real = try realOutputs(count: n)
            let (fake, labels) = try generatedOutputs(sampler, count: n, seed: options.seed)
            let scores = try featureScores(real: real, fake: fake, metrics: metrics, options: options)
            results.fid = scores.fid
            results.kid = scores.kid
            results.pr = scores.pr
            results.score = scores.score
            if options.reference {
                let images = try firstSamples(of: data.train(), count: n)
                results.reference = try featureScores(real: real, fake: extractor!.outputs(images, range: range), metrics: metrics, options: options)
            }
            if metrics.contains(.score) {
                results.realScore = try ClassifierScore(probabilities: real.probabilities)
                if let labels {
                    let predicted = fake.probabilities.argmaxRows()
                    results.conditionalAccuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
                }
            }
        }
        if metrics.contains(.modes) { results.modes = try modeCoverage(options) }
        if metrics.contains(.nll) { results.nll = try likelihood(options) }
        if metrics.contains(.translation) { results.translation = try translation(options) }
        if metrics.contains(.kl) {
            guard let fitted = model as? TargetDensityFitting else {
                throw MetricError.unsupported("kl is for models fitted to a target density (planar, radial); this is \(config.model)")
            }
            let n = options.count ?? 100_000
            var rng = RandomGenerator(seed: options.seed ^ 0x4B1)
            (results.kl, results.klSamples) = (try fitted.reverseKL(samples: n, using: &rng), n)
        }
        if metrics.contains(.accuracy) {
            guard let classifier = model as? Classifying else { throw MetricError.unsupported("accuracy is for classifiers; this is \(config.model)") }
            results.accuracy = Double(try classifier.featureExtractor(source: "the evaluated classifier").accuracy(on: data.test(), range: range))
        }
        return results
    }

    func featureScores(real: (features: Tensor, probabilities: Tensor), fake: (features: Tensor, probabilities: Tensor),
                       metrics: Set<MetricName>, options: EvaluationOptions) throws -> FeatureScores {
        var s = FeatureScores()
        if metrics.contains(.fid) {
            s.fid = try frechetDistance(GaussianStatistics(features: real.features), GaussianStatistics(features: fake.features))
        }
        if metrics.contains(.kid) {
            s.kid = try kernelInceptionDistance(real.features, fake.features, subsets: options.kidSubsets,
                                                subsetSize: options.kidSubsetSize, seed: options.seed)
        }
        if metrics.contains(.pr) { s.pr = try ManifoldMetrics(real: real.features, fake: fake.features, k: options.neighbours) }
        if metrics.contains(.score) { s.score = try ClassifierScore(probabilities: fake.probabilities) }
        return s
    }

    /// Features and probabilities of the first `count` test images (all of them if fewer).
    public func realOutputs(count: Int) throws -> (features: Tensor, probabilities: Tensor) {
        if let cached = realCache[count] { return cached }
        guard let extractor else { throw MetricError.invalidExtractor("no feature extractor") }
        let images = try firstSamples(of: data.test(), count: count)
        let outputs = try extractor.outputs(images, range: range)
        realCache[count] = outputs
        return outputs
    }

    /// Features and probabilities of `count` generated images (and their labels for a conditional model).
    func generatedOutputs(_ sampler: any PriorSampling, count: Int, seed: UInt64) throws -> ((features: Tensor, probabilities: Tensor), [Int]?) {
        guard let extractor else { throw MetricError.invalidExtractor("no feature extractor") }
        var rng = RandomGenerator(seed: seed)
        var features: [Tensor] = [], probabilities: [Tensor] = []
        let classes = sampler.conditioningClasses
        var labels: [Int]? = classes == nil ? nil : []
        var done = 0
        while done < count {
            let n = min(500, count - done)
            let images: Tensor
            if let classes {
                // Balanced classes, in turn over the whole sample.
                var parts: [Tensor] = []
                let batchLabels = (done..<(done + n)).map { classes[$0 % classes.count] }
                for c in classes {
                    let k = batchLabels.filter { $0 == c }.count
                    if k > 0 { parts.append(sampler.sample(count: k, label: c, using: &rng)) }
                }
                images = Tensor.concat(parts, axis: 0)
                labels! += classes.flatMap { c in Array(repeating: c, count: batchLabels.filter { $0 == c }.count) }
            } else {
                images = sampler.sample(count: n, label: nil, using: &rng)
            }
            let out = try extractor.outputs(images, range: range)
            features.append(out.features)
            probabilities.append(out.probabilities)
            done += n
        }
        return ((Tensor.concat(features, axis: 0), Tensor.concat(probabilities, axis: 0)), labels)
    }

    func modeCoverage(_ options: EvaluationOptions) throws -> ModeCoverageSummary {
        guard let modes = try modes(of: data.train()) else {
            throw MetricError.unsupported("mode coverage needs a model trained on ring8 or grid25; this one was trained on \(data.options.spec)")
        }
        guard let sampler = model as? PriorSampling, config.data.kind == .points else {
            throw MetricError.unsupported("mode coverage is for models that sample 2-D points; \(config.model) does not")
        }
        let n = options.count ?? 2500
        let seeds = (0..<max(options.repeats, 1)).map { options.seed &+ UInt64($0) }
        let perSeed = try seeds.map { seed -> ModeCoverage in
            var rng = RandomGenerator(seed: seed)
            return try ModeCoverage(points: sampler.sample(count: n, label: nil, using: &rng), means: modes.centers, sigma: modes.standardDeviation)
        }
        let k = Double(perSeed.count)
        return ModeCoverageSummary(perSeed: perSeed, seeds: seeds,
                                   meanModesCovered: perSeed.reduce(0) { $0 + Double($1.modesCovered) } / k,
                                   meanHighQualityFraction: perSeed.reduce(0) { $0 + $1.highQualityFraction } / k,
                                   meanKLFromUniform: perSeed.reduce(0) { $0 + $1.klFromUniform } / k)
    }

    func likelihood(_ options: EvaluationOptions) throws -> LikelihoodEstimate {
        guard let scorer = model as? LikelihoodScoring else { throw MetricError.unsupported("nll needs a likelihood model (a VAE or a flow); this is \(config.model)") }
        let test = try data.test()
        let n = min(options.count ?? test.count, test.count)
        let loader = try DataLoader(dataset: test, batchSize: 100, shuffle: false, dropLast: false, prefetch: true)
        var rng = RandomGenerator(seed: options.seed ^ 0x1_3A7E)
        let samples = options.importanceSamples ?? scorer.defaultImportanceSamples
        var bound = 0.0, estimate = 0.0, seen = 0
        while seen < n, let batch = try loader.next() {
            let take = min(batch.count, n - seen)
            var images = batch.images, indices = batch.indices
            if take < batch.count {
                images = images.sliced(axis: 0, 0..<take)
                indices = Array(indices.prefix(take))
            }
            let (b, e) = try scorer.logLikelihood(images, indices: indices, samples: samples, using: &rng)
            bound += b.reduce(0, +)
            estimate += e.reduce(0, +)
            seen += take
        }
        return LikelihoodEstimate(negativeELBO: -bound / Double(seen), negativeLogLikelihood: -estimate / Double(seen),
                                  samples: samples, imageCount: seen, exact: scorer.likelihoodIsExact,
                                  dimensions: config.sampleShape.reduce(1, *))
    }

    func translation(_ options: EvaluationOptions) throws -> [TranslationResult] {
        guard let translator = model as? DomainTranslating else { throw MetricError.unsupported("translation is for models between two domains (cyclegan); this is \(config.model)") }
        guard let test = try data.test() as? any TwoDomainDataset else { throw MetricError.unsupported("translation needs the two test domains") }
        let limit = options.count ?? 10_000
        let a = try firstSamples(of: test.domainA, count: limit), b = try firstSamples(of: test.domainB, count: limit)
        let classA = test.domainA.classLabels?.count == 1 ? test.domainA.classLabels?.first : nil
        let classB = test.domainB.classLabels?.count == 1 ? test.domainB.classLabels?.first : nil
        func direction(_ source: Tensor, _ target: Tensor, targetClass: Int?, aToB: Bool) throws -> TranslationResult {
            var translated: [Tensor] = [], cycled: [Tensor] = []
            var start = 0
            while start < source.shape[0] {
                let end = min(start + 100, source.shape[0])
                let t = translator.translate(source.sliced(axis: 0, start..<end), aToB: aToB)
                translated.append(t)
                cycled.append(translator.translate(t, aToB: !aToB))
                start = end
            }
            let fakes = Tensor.concat(translated, axis: 0), back = Tensor.concat(cycled, axis: 0)
            let l1 = Double((back - source).abs().mean().scalar) * (range == .minusOneToOne ? 0.5 : 1)
            var share: Double?, fid: Double?
            if let extractor {
                let out = try extractor.outputs(fakes, range: range)
                if let targetClass, targetClass < extractor.classCount {
                    share = Double(out.probabilities.argmaxRows().filter { $0 == targetClass }.count) / Double(fakes.shape[0])
                }
                if fakes.shape[0] >= 2, target.shape[0] >= 2 {
                    let real = try extractor.outputs(target, range: range)
                    fid = try frechetDistance(GaussianStatistics(features: real.features), GaussianStatistics(features: out.features))
                }
            }
            return TranslationResult(direction: aToB ? "AtoB" : "BtoA", imageCount: source.shape[0], targetClassShare: share, cycleL1: l1, fid: fid)
        }
        return [try direction(a, b, targetClass: classB, aToB: true), try direction(b, a, targetClass: classA, aToB: false)]
    }
}
