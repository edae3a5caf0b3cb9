import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// A text model's cross-entropy on one split, every character predicted once (windows side by
/// side, each character given those before it in its window, as in training).
public struct TextLoss: Codable, Equatable, Sendable {
    public var characters: Int
    public var natsPerCharacter: Double
    public var bitsPerCharacter: Double
    public var perplexity: Double

    enum CodingKeys: String, CodingKey {
        case characters
        case natsPerCharacter = "nats_per_character"
        case bitsPerCharacter = "bits_per_character"
        case perplexity
    }

    public init(nats: Double, characters: Int) {
        self.characters = characters
        natsPerCharacter = nats / Double(Swift.max(characters, 1))
        bitsPerCharacter = natsPerCharacter / M_LN2
        perplexity = Foundation.exp(natsPerCharacter)
    }
}

/// What `deepgen eval` reports for a text model (`eval.json`).
public struct TextEvaluationReport: Codable, Equatable, Sendable {
    public var checkpoint: String
    public var model: String
    public var dataset: String
    public var epoch: Int?
    public var seconds: Double
    /// The last 10% of the text.
    public var validation: TextLoss
    /// The first 90%; `nil` when not asked for.
    public var training: TextLoss?

    /// Scores `model` on its run's text: the validation split, and the training split when `training`.
    /// - Throws: when the text is not the one the model was trained on (another vocabulary).
    public static func evaluate(_ model: any TextGenerating, data: RunData, checkpoint: String, epoch: Int?, training: Bool) throws -> TextEvaluationReport {
        let started = Date()
        guard let test = try data.test() as? TextWindows else { throw TrainingError.invalidConfiguration("\(data.options.spec) is not text") }
        let trained = String(String.UnicodeScalarView(model.vocabulary))
        if test.vocabulary != trained {
            throw TrainingError.invalidConfiguration("\(data.options.spec) has changed: its \(test.corpus.vocabulary.count) characters are not the \(model.vocabulary.count) the model was trained on")
        }
        let validation = try model.crossEntropy(test.with(sequential: true))
        var train: TextLoss?
        if training, let windows = try data.train() as? TextWindows {
            let t = try model.crossEntropy(windows.with(sequential: true))
            train = TextLoss(nats: t.nats, characters: t.characters)
        }
        return TextEvaluationReport(checkpoint: checkpoint, model: model.config.model, dataset: data.options.spec, epoch: epoch,
                                    seconds: Date().timeIntervalSince(started), validation: TextLoss(nats: validation.nats, characters: validation.characters),
                                    training: train)
    }

    /// The report as a table.
    public var table: String {
        var lines = ["\(model) on \(dataset)\(epoch.map { ", epoch \($0)" } ?? "") (\(checkpoint))",
                     "split        characters   nats/char   bits/char   perplexity"]
        for (name, loss) in [("validation", validation), ("training", training)] {
            guard let loss else { continue }
            lines.append(String(format: "%@ %10d %11.4f %11.4f %12.3f", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                                loss.characters, loss.natsPerCharacter, loss.bitsPerCharacter, loss.perplexity))
        }
        lines.append(String(format: "(%.1f s)", seconds))
        return lines.joined(separator: "\n")
    }
}
