import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenModels
import DeepGenTraining
import Foundation

struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Translate images between a CycleGAN's two domains.")

    enum Direction: String, ExpressibleByArgument { case AtoB, BtoA }

    @Argument(help: "A CycleGAN run folder or checkpoint.") var source: String
    @Option(help: "AtoB or BtoA.") var direction: Direction
    @Option(help: "An image file or a folder of PNG/JPEG images.") var input: String
    @Option(help: "Folder for the translated images (same file names, PNG).") var out: String
    @Flag(help: "Translate with the trained generators' weights rather than their moving averages (runs trained with --ema).")
    var rawWeights = false

    func run() throws {
        let loaded = try load(source)
        try chooseWeights(loaded.model, rawWeights: rawWeights)
        guard let translator = loaded.model as? DomainTranslating else {
            throw RuntimeError("\(source) holds a \(loaded.config.model) model; translate needs one between two domains (cyclegan)")
        }
        let inputURL = URL(fileURLWithPath: input)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: inputURL.path, isDirectory: &isDir) else { throw RuntimeError("\(input) does not exist") }
        let files: [URL]
        if isDir.boolValue {
            files = try FileManager.default.contentsOfDirectory(at: inputURL, includingPropertiesForKeys: nil)
                .filter { ImageFolderDataset.extensions.contains($0.pathExtension.lowercased()) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            guard !files.isEmpty else { throw RuntimeError("\(input) holds no PNG or JPEG images") }
        } else {
            files = [inputURL]
        }
        let shape = loaded.config.sampleShape
        let range = loaded.config.data.range ?? .minusOneToOne
        let transform = try ImageTransform(loadSize: shape[1], channels: shape[0], range: range)
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 0)
        for file in files {
            let image: DecodedImage
            do { image = try ImageCodec.read(file) } catch { throw RuntimeError("\(error)") }
            let x = Tensor(shape: [1] + shape, scalars: transform.apply(image, using: &rng))
            let y = translator.translate(x, aToB: direction == .AtoB)
            let name = file.deletingPathExtension().lastPathComponent + ".png"
            try ImageGrid.save(y, to: outURL.appendingPathComponent(name), nrow: 1, padding: 0, range: range)
        }
        print("translated \(files.count) image\(files.count == 1 ? "" : "s") \(direction.rawValue) into \(out)")
    }
}

/// The first `count` test images (training images where the data has no test split) of the
/// model's data, or of `data` when given.
func testImages(for loaded: TrainedModel, data: String?, dataDir: String?, count: Int) throws -> Tensor {
    var options = data.map { DataOptions(spec: $0) } ?? loaded.data
    if let dataDir { options.directory = dataDir }
    let images: any Dataset
    do { images = try RunData(for: loaded.config, options: options).testOrTrain() } catch { throw RuntimeError("\(error)") }
    guard images.sampleShape == loaded.config.sampleShape else {
        throw RuntimeError("the data has samples of shape \(images.sampleShape), the model expects \(loaded.config.sampleShape)")
    }
    do { return try firstSamples(of: images, count: count) } catch { throw RuntimeError("\(error)") }
}

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reconstruct test images with a VAE: originals above, reconstructions below.")

    @Argument(help: "A VAE run folder or checkpoint.") var source: String
    @Option(help: "How many images.") var count: Int = 8
    @Option(help: "Dataset to take images from (default: the run's, test split).") var data: String?
    @Option(help: "Folder of IDX files, as for train.") var dataDir: String?
    @Option(help: "Output .png grid or .npy array.") var out: String

    func validate() throws {
        if !(1...10_000).contains(count) { throw ValidationError("--count must be between 1 and 10,000, got \(count)") }
        try validateImageOutput(out)
    }

    func run() throws {
        let loaded = try load(source)
        guard let model = loaded.model as? Reconstructing else { throw RuntimeError("\(source) does not reconstruct images (it is \(loaded.config.model); a VAE or a flow does)") }
        try requireArrayOutputForPoints(loaded, out)
        let x = try testImages(for: loaded, data: data, dataDir: dataDir, count: count)
        let r = model.reconstruct(x)
        try writeImages(Tensor.concat([x, r], axis: 0), to: out, range: loaded.config.data.range ?? .zeroToOne, nrow: x.shape[0])
        print("wrote \(x.shape[0]) originals and reconstructions to \(out)")
    }
}

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode straight lines between the latent codes of pairs of test images (VAE, flow).")

    @Argument(help: "A VAE or flow run folder or checkpoint.") var source: String
    @Option(help: "Points on each line, ends included.") var steps: Int = 10
    @Option(help: "How many pairs (one row each).") var pairs: Int = 4
    @Option(help: "Dataset to take images from (default: the run's, test split).") var data: String?
    @Option(help: "Folder of IDX files, as for train.") var dataDir: String?
    @Option(help: "Output .png grid or .npy array.") var out: String

    func validate() throws {
        if !(2...1000).contains(steps) { throw ValidationError("--steps must be between 2 and 1000, got \(steps)") }
        if !(1...1000).contains(pairs) { throw ValidationError("--pairs must be between 1 and 1000, got \(pairs)") }
        try validateImageOutput(out)
    }

    func run() throws {
        let loaded = try load(source)
        guard let model = loaded.model as? Reconstructing else { throw RuntimeError("\(source) has no latent space to interpolate in (it is \(loaded.config.model); a VAE or a flow has)") }
        try requireArrayOutputForPoints(loaded, out)
        let x = try testImages(for: loaded, data: data, dataDir: dataDir, count: 2 * pairs)
        guard x.shape[0] >= 2 else { throw RuntimeError("need at least two images to interpolate") }
        let rows = (0..<(x.shape[0] / 2)).map { i in
            model.interpolate(from: x.sliced(axis: 0, 2 * i ..< 2 * i + 1), to: x.sliced(axis: 0, 2 * i + 1 ..< 2 * i + 2), steps: steps)
        }
        try writeImages(Tensor.concat(rows, axis: 0), to: out, range: loaded.config.data.range ?? .zeroToOne, nrow: steps)
        print("wrote \(rows.count) interpolations of \(steps) steps to \(out)")
    }
}

/// Points have no image grid: a model of 2-D points writes `.npy` only.
func requireArrayOutputForPoints(_ loaded: TrainedModel, _ out: String) throws {
    if loaded.config.data.kind == .points && URL(fileURLWithPath: out).pathExtension.lowercased() != "npy" {
        throw RuntimeError("\(loaded.config.model) works on 2-D points, which make no image grid; write --out FILE.npy")
    }
}
