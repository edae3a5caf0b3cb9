import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenModels
import Foundation

/// An audio model's exact negative log-likelihood on clips of one split: every sample of every
/// whole clip predicted from those before it (after the silence the training windows start with).
public struct AudioLikelihood: Codable, Equatable, Sendable {
    public var clips: Int
    public var samples: Int
    public var natsPerSample: Double
    public var bitsPerSample: Double

    enum CodingKeys: String, CodingKey {
        case clips, samples
        case natsPerSample = "nats_per_sample"
        case bitsPerSample = "bits_per_sample"
    }

    public init(nats: Double, clips: Int, samples: Int) {
        self.clips = clips
        self.samples = samples
        natsPerSample = nats / Double(Swift.max(samples, 1))
        bitsPerSample = natsPerSample / M_LN2
    }

    /// Scores the clips at `indices` of `data`.
    public static func score(_ model: any AudioGenerating, _ data: any AudioClipDataset, indices: [Int]) throws -> AudioLikelihood {
        var nats = 0.0, samples = 0
        for i in indices {
            let clip = try data.clip(at: i)
            guard clip.clip.sampleRate == model.sampleRate else {
                throw TrainingError.invalidConfiguration("\(clip.name) is at \(clip.clip.sampleRate) Hz; the model was trained at \(model.sampleRate) Hz")
            }
            if let classes = model.conditioningClasses, !classes.contains(clip.label) {
                throw TrainingError.invalidConfiguration("\(clip.name) has label \(clip.label); the model was trained on \(classes.map(String.init).joined(separator: ", "))")
            }
            var speaker: Int?
            if let speakers = model.speakerNames {
                // By name: another folder may number its speakers otherwise.
                guard let s = clip.speaker, let names = data.speakerNames, names.indices.contains(s), let index = speakers.firstIndex(of: names[s]) else {
                    throw TrainingError.invalidConfiguration("\(clip.name) has no speaker of the \(speakers.count) the model was trained on (\(speakers.joined(separator: ", ")))")
                }
                speaker = index
            }
            nats += model.negativeLogLikelihood(clip.clip.samples, label: model.conditioningClasses == nil ? nil : clip.label, speaker: speaker)
            samples += clip.clip.samples.count
        }
        return AudioLikelihood(nats: nats, clips: indices.count, samples: samples)
    }
}

/// What `deepgen eval` reports for an audio model (`eval.json`).
public struct AudioEvaluationReport: Codable, Equatable, Sendable {
    public var checkpoint: String
    public var model: String
    public var dataset: String
    public var epoch: Int?
    public var seconds: Double
    public var sampleRate: Int
    public var receptiveField: Int
    /// Every clip of the test split.
    public var test: AudioLikelihood
    /// As many training clips, evenly spaced over the split (the reference: how far test falls
    /// behind what was fitted); `nil` when not asked for.
    public var training: AudioLikelihood?
    /// Generated clips judged by a classifier; `nil` when none was available.
    public var generated: GeneratedAudioReport?

    enum CodingKeys: String, CodingKey {
        case checkpoint, model, dataset, epoch, seconds, test, training, generated
        case sampleRate = "sample_rate"
        case receptiveField = "receptive_field"
    }

    public static func evaluate(_ model: any AudioGenerating, data: RunData, checkpoint: String, epoch: Int?, training: Bool,
                                extractor: FeatureExtractor? = nil, perClass: Int = 50, seed: UInt64 = 0,
                                progress: ((String) -> Void)? = nil) throws -> AudioEvaluationReport {
        let started = Date()
        guard let test = try data.test() as? any AudioClipDataset else { throw TrainingError.invalidConfiguration("\(data.options.spec) is not audio") }
        let scoredTest = try AudioLikelihood.score(model, test, indices: Array(0..<test.count))
        var scoredTrain: AudioLikelihood?
        if training, let train = try data.train() as? any AudioClipDataset, train.count > 0 {
            let n = Swift.min(train.count, test.count)
            scoredTrain = try AudioLikelihood.score(model, train, indices: (0..<n).map { $0 * train.count / n })
        }
        let generated = try extractor.map {
            try GeneratedAudioReport.evaluate(model, extractor: $0, data: data, perClass: perClass, seed: seed, reference: training, progress: progress)
        }
        return AudioEvaluationReport(checkpoint: checkpoint, model: model.config.model, dataset: data.options.spec, epoch: epoch,
                                     seconds: Date().timeIntervalSince(started), sampleRate: model.sampleRate,
                                     receptiveField: model.receptiveField, test: scoredTest, training: scoredTrain, generated: generated)
    }

    /// The report as a table.
    public var table: String {
        var lines = ["\(model) on \(dataset)\(epoch.map { ", epoch \($0)" } ?? "") (\(checkpoint))",
                     String(format: "receptive field %d samples (%.0f ms at %d Hz)", receptiveField, 1000 * Double(receptiveField) / Double(sampleRate), sampleRate),
                     "split        clips    samples   nats/sample   bits/sample"]
        for (name, score) in [("test", test), ("training", training)] {
            guard let score else { continue }
            lines.append(String(format: "%@ %6d %10d %13.4f %13.4f", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                                score.clips, score.samples, score.natsPerSample, score.bitsPerSample))
        }
        if let generated { lines.append(generated.table) }
        lines.append(String(format: "(%.1f s)", seconds))
        return lines.joined(separator: "\n")
    }
}

/// Generated clips judged by a classifier of the data (`deepgen train classifier --data fsdd:…`):
/// the share classified as the class they were conditioned on, the predicted classes' histogram,
/// and the Fréchet distance of the classifier's features against the test clips' (with the
/// training clips' distance as the reference: what clips of the data itself score).
public struct GeneratedAudioReport: Codable, Equatable, Sendable {
    public var extractor: String
    public var clips: Int
    /// Seconds of each generated clip (the classifier's window after its leading silence).
    public var seconds: Double
    public var temperature: Double
    public var seed: UInt64
    /// Generated clips classified as their conditioning class; `nil` for an unconditional model.
    public var conditionalAccuracy: Double?
    /// The same per conditioning class (by the data's class names).
    public var accuracyByClass: [String: Double]?
    /// How many generated clips the classifier assigns to each class, in class order.
    public var classHistogram: [Int]
    /// The classifier's accuracy on the test clips (how far its judgement goes).
    public var classifierTestAccuracy: Double
    public var frechetDistance: Double
    /// Training clips (as many as the test split has, evenly spaced) against the test clips.
    public var referenceFrechetDistance: Double?
    /// Clips whose root-mean-square level is below 10⁻³ (−60 dBFS): silence.
    public var silentClips: Int
    public var medianRMS: Double

    enum CodingKeys: String, CodingKey {
        case extractor, clips, seconds, temperature, seed
        case conditionalAccuracy = "conditional_accuracy"
        case accuracyByClass = "accuracy_by_class"
        case classHistogram = "class_histogram"
        case classifierTestAccuracy = "classifier_test_accuracy"
        case frechetDistance = "frechet_distance"
        case referenceFrechetDistance = "reference_frechet_distance"
        case silentClips = "silent_clips"
        case medianRMS = "median_rms"
    }

    /// The classifier's window for each clip: `P` samples of silence, then `length − P` of the clip.
    static func windows(_ clips: [[Float]], length: Int, silence: Int) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(clips.count * length)
        for clip in clips { values += AudioWindow.extract(clip, start: -silence, length: length) }
        return Tensor(shape: [clips.count, 1, length], scalars: values)
    }

    /// Generates `perClass` clips of each conditioning class (`perClass` × 10 unconditional
    /// clips for a model without classes) and scores them with `extractor`.
    public static func evaluate(_ model: any AudioGenerating, extractor: FeatureExtractor, data: RunData, perClass: Int, seed: UInt64,
                                reference: Bool, progress: ((String) -> Void)? = nil) throws -> GeneratedAudioReport {
        guard let rate = extractor.audioSampleRate, extractor.imageShape.count == 2 else {
            throw MetricError.invalidExtractor("\(extractor.source) classifies images, not audio: train one with `deepgen train classifier --data \(data.options.spec)`")
        }
        guard rate == model.sampleRate else {
            throw MetricError.invalidExtractor("\(extractor.source) classifies audio at \(rate) Hz; the model generates \(model.sampleRate) Hz")
        }
        guard let test = try data.test() as? any AudioClipDataset else { throw TrainingError.invalidConfiguration("\(data.options.spec) is not audio") }
        let length = extractor.imageShape[1], silence = AudioWindow.maxLeadingSilence(windowLength: length, sampleRate: rate)
        let testClips = try (0..<test.count).map { try test.clip(at: $0) }
        let real = try extractor.outputs(windows(testClips.map(\.clip.samples), length: length, silence: silence), range: .minusOneToOne)
        let testAccuracy = Double(zip(real.probabilities.argmaxRows(), testClips.map(\.label)).filter { $0 == $1 }.count) / Double(Swift.max(test.count, 1))

        let classes = model.conditioningClasses
        let labels: [Int?] = classes.map { c in c.flatMap { [Int?](repeating: $0, count: perClass) } } ?? [Int?](repeating: nil, count: 10 * perClass)
        // A model conditioned on speakers speaks each class with the speakers in turn.
        let speakers = model.speakersInTurn(labels.count)
        var rng = RandomGenerator(seed: seed)
        var generated: [[Float]] = []
        for first in stride(from: 0, to: labels.count, by: 64) {
            let range = first ..< Swift.min(labels.count, first + 64)
            generated += model.generate(labels: Array(labels[range]), speakers: Array(speakers[range]), samples: length - silence, temperature: 1,
                                        using: &rng, progress: nil)
            progress?("generated \(generated.count) of \(labels.count) clips")
        }
        let fake = try extractor.outputs(windows(generated, length: length, silence: silence), range: .minusOneToOne)
        let predicted = fake.probabilities.argmaxRows()
        var histogram = [Int](repeating: 0, count: extractor.classCount)
        for p in predicted { histogram[p] += 1 }
        var accuracy: Double?, byClass: [String: Double]?
        // Labels mean the same to both only when the classifier was trained on the same dataset.
        let sameData = extractor.dataset.split(separator: ":").first == data.options.spec.split(separator: ":").first
        if let classes, sameData {
            accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
            byClass = [:]
            for c in classes {
                let hits = zip(predicted, labels).filter { $1 == c && $0 == c }.count
                byClass![model.classNames.flatMap { c < $0.count ? $0[c] : nil } ?? String(c)] = Double(hits) / Double(perClass)
            }
        }
        let realStatistics = try GaussianStatistics(features: real.features)
        let distance = try DeepGenMetrics.frechetDistance(GaussianStatistics(features: fake.features), realStatistics)
        var referenceDistance: Double?
        if reference, let train = try data.train() as? any AudioClipDataset, train.count > 0 {
            let n = Swift.min(train.count, test.count)
            let clips = try (0..<n).map { try train.clip(at: $0 * train.count / n).clip.samples }
            let features = try extractor.outputs(windows(clips, length: length, silence: silence), range: .minusOneToOne).features
            referenceDistance = try DeepGenMetrics.frechetDistance(GaussianStatistics(features: features), realStatistics)
        }
        let levels = generated.map { clip in (clip.reduce(0) { $0 + Double($1) * Double($1) } / Double(Swift.max(clip.count, 1))).squareRoot() }.sorted()
        return GeneratedAudioReport(extractor: extractor.source, clips: generated.count, seconds: Double(length - silence) / Double(rate),
                                    temperature: 1, seed: seed, conditionalAccuracy: accuracy, accuracyByClass: byClass, classHistogram: histogram,
                                    classifierTestAccuracy: testAccuracy, frechetDistance: distance, referenceFrechetDistance: referenceDistance,
                                    silentClips: levels.filter { $0 < 1e-3 }.count, medianRMS: levels.isEmpty ? 0 : levels[levels.count / 2])
    }

    public var table: String {
        var lines = [String(format: "%d generated clips of %.2f s (temperature %.1f, seed %llu), judged by %@ (%.2f%% on the test clips)",
                            clips, seconds, temperature, seed, extractor, 100 * classifierTestAccuracy)]
        if let conditionalAccuracy {
            lines.append(String(format: "classified as their conditioning class: %.2f%%", 100 * conditionalAccuracy))
            if let accuracyByClass {
                lines.append("  by class: " + accuracyByClass.sorted { $0.key < $1.key }.map { String(format: "%@ %.0f%%", $0.key, 100 * $0.value) }.joined(separator: ", "))
            }
        }
        lines.append("predicted classes: " + classHistogram.map(String.init).joined(separator: " "))
        lines.append(String(format: "Fréchet distance to the test clips: %.3f", frechetDistance)
                     + (referenceFrechetDistance.map { String(format: " (training clips: %.3f)", $0) } ?? ""))
        lines.append(String(format: "silent clips (RMS < 10⁻³): %d; median RMS %.4f", silentClips, medianRMS))
        return lines.joined(separator: "\n")
    }
}
