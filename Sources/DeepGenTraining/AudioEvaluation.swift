import DeepGen
import DeepGenData
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
            nats += model.negativeLogLikelihood(clip.clip.samples, label: model.conditioningClasses == nil ? nil : clip.label)
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

    enum CodingKeys: String, CodingKey {
        case checkpoint, model, dataset, epoch, seconds, test, training
        case sampleRate = "sample_rate"
        case receptiveField = "receptive_field"
    }

    public static func evaluate(_ model: any AudioGenerating, data: RunData, checkpoint: String, epoch: Int?, training: Bool) throws -> AudioEvaluationReport {
        let started = Date()
        guard let test = try data.test() as? any AudioClipDataset else { throw TrainingError.invalidConfiguration("\(data.options.spec) is not audio") }
        let scoredTest = try AudioLikelihood.score(model, test, indices: Array(0..<test.count))
        var scoredTrain: AudioLikelihood?
        if training, let train = try data.train() as? any AudioClipDataset, train.count > 0 {
            let n = Swift.min(train.count, test.count)
            scoredTrain = try AudioLikelihood.score(model, train, indices: (0..<n).map { $0 * train.count / n })
        }
        return AudioEvaluationReport(checkpoint: checkpoint, model: model.config.model, dataset: data.options.spec, epoch: epoch,
                                     seconds: Date().timeIntervalSince(started), sampleRate: model.sampleRate,
                                     receptiveField: model.receptiveField, test: scoredTest, training: scoredTrain)
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
        lines.append(String(format: "(%.1f s)", seconds))
        return lines.joined(separator: "\n")
    }
}
