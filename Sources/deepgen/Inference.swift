import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenModels
import DeepGenTraining
import Foundation

/// A model loaded from a run folder (its latest checkpoint) or a checkpoint file.
struct LoadedModel {
    let model: any GenerativeModel
    let config: ModelConfig
    /// The checkpoint file the weights came from.
    let checkpointURL: URL
    /// The run folder when `path` was one (or the checkpoint sits in one's `checkpoints/`).
    let runURL: URL?
    /// Where the training data came from (the checkpoint's record; the configured name otherwise).
    let data: DataOptions
    let epoch: Int?

    init(_ path: String) throws {
        var url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw RuntimeError("\(path) does not exist (give a run folder or a .safetensors checkpoint)")
        }
        if isDir.boolValue {
            runURL = url
            url = RunDirectory(url).latestCheckpointURL
        } else {
            let parent = url.deletingLastPathComponent()
            let run = parent.deletingLastPathComponent()
            runURL = parent.lastPathComponent == "checkpoints" && FileManager.default.fileExists(atPath: RunDirectory(run).configURL.path) ? run : nil
        }
        checkpointURL = url
        do {
            let checkpoint = try Checkpoint.load(from: url)
            guard let config = try checkpoint.metadataValue(ModelConfig.self, forKey: CheckpointKey.modelConfiguration) else {
                throw RuntimeError("\(url.path) has no model configuration; it was not written by deepgen train")
            }
            model = try makeModel(config)
            try model.restore(from: checkpoint, weightsOnly: true)
            self.config = config
            data = try checkpoint.metadataValue(DataOptions.self, forKey: Trainer.dataKey) ?? DataOptions(spec: config.dataset)
            epoch = try checkpoint.metadataValue(Int.self, forKey: CheckpointKey.epoch)
        } catch let e as RuntimeError { throw e } catch {
            throw RuntimeError("cannot load \(url.path): \(error)")
        }
    }

    var range: PixelRange { config.model.isVAE ? .zeroToOne : .minusOneToOne }
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
    @Option(help: "How many samples.") var count: Int = 64
    @Option(help: "Output file: .png (a grid) or .npy (an array).") var out: String
    @Option(name: .customLong("class"), help: "The class to sample (conditional models).") var classLabel: Int?
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if !["png", "npy"].contains(URL(fileURLWithPath: out).pathExtension.lowercased()) {
            throw ValidationError("--out must end in .png or .npy, got \(out)")
        }
    }

    func run() throws {
        let loaded = try LoadedModel(source)
        var rng = RandomGenerator(seed: seed)
        let images: Tensor
        switch loaded.model {
        case let gan as GANModel:
            if let classLabel {
                guard gan.isConditional else { throw RuntimeError("--class needs a conditional model (cdcgan); this is \(loaded.config.model.rawValue)") }
                let classes = loaded.config.trainedClasses
                guard classes.contains(classLabel) else {
                    throw RuntimeError("--class must be one of the trained classes \(classes.map(String.init).joined(separator: ", ")), got \(classLabel)")
                }
            }
            images = gan.sample(count: count, label: classLabel, using: &rng)
        case let vae as VAEModel:
            images = vae.sample(count: count, using: &rng)
        default:
            throw RuntimeError("\(loaded.config.model.rawValue) does not sample from noise; use `deepgen translate`")
        }
        if images.rank == 2 {
            guard out.hasSuffix(".npy") else {
                let plot = ScatterPlot(extent: ScatterPlot.extent(of: images))
                try Data(plot.png([(images, (31, 90, 200))])).write(to: URL(fileURLWithPath: out))
                print("wrote \(count) points to \(out)")
                return
            }
        }
        try writeImages(images, to: out, range: loaded.range)
        print("wrote \(count) samples to \(out)")
    }
}
