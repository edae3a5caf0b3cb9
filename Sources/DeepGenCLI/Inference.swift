import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenModels
import DeepGenTraining
import Foundation

/// Checks before any work that `--out` names a format ``writeImages(_:to:range:nrow:)`` writes.
func validateImageOutput(_ out: String) throws {
    if !["png", "npy"].contains(URL(fileURLWithPath: out).pathExtension.lowercased()) {
        throw ValidationError("--out must end in .png or .npy, got \(out)")
    }
}

/// With `--raw-weights`: samples from the trained weights instead of their moving average.
/// Returns which weights sample ("average", "trained") for a model that keeps an average, else `nil`.
@discardableResult
func chooseWeights(_ model: any GenerativeModel, rawWeights: Bool) throws -> String? {
    guard let averaging = model as? WeightAveraging, !averaging.averagedNetworks.isEmpty else {
        if rawWeights { throw RuntimeError("--raw-weights is for models trained with a weight average (a GAN or CycleGAN with --ema); \(model.config.model) has none") }
        return nil
    }
    let m = averaging
    m.usesAveragedWeights = !rawWeights
    return rawWeights ? "trained" : "average"
}

/// Writes `images` as a PNG grid, or as a `.npy` array `[N, C, H, W]` (float32), by extension.
func writeImages(_ images: Tensor, to path: String, range: PixelRange, nrow: Int = 8) throws {
    let url = URL(fileURLWithPath: path)
    switch url.pathExtension.lowercased() {
    case "npy":
        try NPYArray(images).write(to: url)
    case "png":
        let upscale = images.rank == 4 && images.shape[2] <= 32 ? 2 : 1
        try ImageGrid.save(images, to: url, nrow: nrow, range: range, upscale: upscale)
    default:
        throw RuntimeError("--out must end in .png or .npy, got \(path)")
    }
}

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate samples from a trained model.")

    @Argument(help: "A run folder or a checkpoint file.") var source: String
    @Option(help: "How many samples (default 64; text: 1).") var count: Int?
    @Option(help: "Output file: .png (a grid) or .npy (an array); text models: .txt (default: stream to standard output).") var out: String?
    @Option(name: .customLong("class"), help: "The class to sample (conditional models).") var classLabel: Int?
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Flows: standard deviation of the base noise (default 1; below 1 gives more typical samples). Text: divides the logits (default 0.8). Audio: divides the logits (default 1).")
    var temperature: Float?
    @Flag(help: "Sample from the trained generator's weights rather than their moving average (runs trained with --ema).")
    var rawWeights = false
    @Option(help: "Text models: the text to continue (default: a newline).") var prompt: String?
    @Option(help: "Text models: characters to generate (default 500).") var length: Int?
    @Option(help: "Text models: draw only from the k most likely characters.") var topK: Int?
    @Option(help: "Audio models: seconds per clip (default 1).") var seconds: Double?
    @Option(help: "Audio models trained with --speakers: the speaker's name (default: the speakers in turn).") var speaker: String?

    func validate() throws {
        if let count, count < 1 || count > 1_000_000 { throw ValidationError("--count must be between 1 and 1,000,000, got \(count)") }
        if let temperature, !(temperature > 0 && temperature <= 100) {
            throw ValidationError("--temperature must be above 0 and at most 100, got \(temperature)")
        }
        if let length, !(1...10_000_000).contains(length) { throw ValidationError("--length must be between 1 and 10,000,000, got \(length)") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if let seconds, !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be above 0 and at most 3600, got \(seconds)") }
        if let out {
            let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
            if !["png", "npy", "txt", "wav", "flac", ""].contains(ext) {
                throw ValidationError("--out must end in .png or .npy (text models: .txt; audio models: .wav, .flac or a folder), got \(out)")
            }
            if (count ?? 64) > 10_000 && ext == "png" {
                throw ValidationError("a grid of \(count ?? 64) samples is too large to view: --count above 10,000 needs --out FILE.npy")
            }
        }
    }

    func run() throws {
        let loaded = try load(source)
        if let audio = loaded.model as? AudioGenerating { return try sampleAudio(audio) }
        for (flag, given) in [("--seconds", seconds != nil), ("--speaker", speaker != nil)] where given {
            throw RuntimeError("\(flag) is for audio models (wavenet); \(loaded.config.model) generates \(loaded.config.data.kind.noun)")
        }
        if let text = loaded.model as? TextGenerating { return try sampleText(text) }
        for (flag, given) in [("--prompt", prompt != nil), ("--length", length != nil), ("--top-k", topK != nil)] where given {
            throw RuntimeError("\(flag) is for text models (gpt); \(loaded.config.model) generates \(loaded.config.data.kind.noun)")
        }
        guard let out, ["png", "npy"].contains(URL(fileURLWithPath: out).pathExtension.lowercased()) else {
            throw RuntimeError("\(loaded.config.model) writes samples to --out FILE.png (a grid) or FILE.npy (an array)")
        }
        let count = self.count ?? 64
        try chooseWeights(loaded.model, rawWeights: rawWeights)
        var rng = RandomGenerator(seed: seed)
        guard let sampler = loaded.model as? PriorSampling else {
            let hint = loaded.model is DomainTranslating ? "; use `deepgen translate`" : ""
            throw RuntimeError("\(loaded.config.model) does not sample from noise\(hint)")
        }
        if temperature != nil, !(sampler is TemperatureSampling) {
            throw RuntimeError("--temperature is for flows (realnvp), whose base noise it scales, and text models; \(loaded.config.model) does not take it")
        }
        if let classLabel {
            guard let classes = sampler.conditioningClasses else {
                throw RuntimeError("--class needs a conditional model (cdcgan); this is \(loaded.config.model)")
            }
            guard classes.contains(classLabel) else {
                throw RuntimeError("--class must be one of the trained classes \(classes.map(String.init).joined(separator: ", ")), got \(classLabel)")
            }
        }
        if URL(fileURLWithPath: out).pathExtension.lowercased() == "npy" {
            // Written as generated: memory stays that of one chunk, whatever the count.
            do {
                let writer = try NPYStreamWriter(url: URL(fileURLWithPath: out), shape: [count] + loaded.config.sampleShape)
                try Self.sample(sampler, count: count, label: classLabel, temperature: temperature, using: &rng) { try writer.append($0) }
                try writer.finish()
            } catch { throw RuntimeError("cannot write \(out): \(error)") }
            print("wrote \(count) samples to \(out)")
            return
        }
        var parts: [Tensor] = []
        try Self.sample(sampler, count: count, label: classLabel, temperature: temperature, using: &rng) { parts.append($0) }
        let images = parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 0)
        if [.points, .energy].contains(loaded.config.data.kind) {
            guard out.hasSuffix(".npy") else {
                let plot = ScatterPlot(extent: ScatterPlot.extent(of: images))
                try Data(plot.png([(images, (31, 90, 200))])).write(to: URL(fileURLWithPath: out))
                print("wrote \(count) points to \(out)")
                return
            }
        }
        try writeImages(images, to: out, range: loaded.config.data.range ?? .minusOneToOne)
        print("wrote \(count) samples to \(out)")
    }
}

extension Sample {
    /// `count` samples generated a few hundred at a time and handed to `body` chunk by chunk, so
    /// the networks' activations stay small whatever the count (a whole count at once held
    /// gigabytes). Chunks are a multiple of the class count, so a conditional model's classes
    /// still take turns across them.
    static func sample(_ sampler: any PriorSampling, count: Int, label: Int?, temperature: Float? = nil,
                       using rng: inout RandomGenerator, _ body: (Tensor) throws -> Void) rethrows {
        let classes = sampler.conditioningClasses?.count ?? 1
        let chunk = max(classes, 500 - 500 % classes)
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            if let temperature, let flow = sampler as? TemperatureSampling {
                try body(flow.sample(count: n, label: label, temperature: temperature, using: &rng))
            } else {
                try body(sampler.sample(count: n, label: label, using: &rng))
            }
            done += n
        }
    }
}

/// Loads a run folder or checkpoint, with a message for the user when it cannot.
func load(_ path: String) throws -> TrainedModel {
    do { return try TrainedModel(path) } catch { throw RuntimeError("\(error)") }
}
