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

    func run() throws {
        let loaded = try LoadedModel(source)
        guard let cycle = loaded.model as? CycleGANModel else {
            throw RuntimeError("\(source) holds a \(loaded.config.model.rawValue) model; translate needs cyclegan")
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
        let transform = try ImageTransform(loadSize: shape[1], channels: shape[0], range: .minusOneToOne)
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 0)
        for file in files {
            let image: DecodedImage
            do { image = try ImageCodec.read(file) } catch { throw RuntimeError("\(error)") }
            let x = Tensor(shape: [1] + shape, scalars: transform.apply(image, using: &rng))
            let y = cycle.translate(x, aToB: direction == .AtoB)
            let name = file.deletingPathExtension().lastPathComponent + ".png"
            try ImageGrid.save(y, to: outURL.appendingPathComponent(name), nrow: 1, padding: 0, range: .minusOneToOne)
        }
        print("translated \(files.count) image\(files.count == 1 ? "" : "s") \(direction.rawValue) into \(out)")
    }
}

/// Test images of a VAE run's dataset (test split where one exists).
func testImages(for loaded: LoadedModel, data: String?, dataDir: String?, count: Int, offset: Int = 0) throws -> Tensor {
    let options = DataOptions(spec: data ?? loaded.config.dataset, directory: dataDir)
    let dataset: any Dataset
    do {
        dataset = try (try? DatasetCatalog.make(options, for: loaded.config.model, split: .test, seed: loaded.config.seed))
            ?? DatasetCatalog.make(options, for: loaded.config.model, split: .train, seed: loaded.config.seed)
    } catch { throw RuntimeError("\(error)") }
    guard dataset.sampleShape == loaded.config.sampleShape else {
        throw RuntimeError("the data has samples of shape \(dataset.sampleShape), the model expects \(loaded.config.sampleShape)")
    }
    let n = min(count, dataset.count - offset)
    guard n > 0 else { throw RuntimeError("the dataset has only \(dataset.count) samples") }
    return Tensor(shape: [n] + dataset.sampleShape, scalars: try (offset..<(offset + n)).flatMap { try dataset.sample(at: $0).values })
}

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reconstruct test images with a VAE: originals above, reconstructions below.")

    @Argument(help: "A VAE run folder or checkpoint.") var source: String
    @Option(help: "How many images.") var count: Int = 8
    @Option(help: "Dataset to take images from (default: the run's, test split).") var data: String?
    @Option(help: "Folder of IDX files, as for train.") var dataDir: String?
    @Option(help: "Output .png grid or .npy array.") var out: String

    func run() throws {
        let loaded = try LoadedModel(source)
        guard let vae = loaded.model as? VAEModel else { throw RuntimeError("\(source) is not a VAE (it is \(loaded.config.model.rawValue))") }
        let x = try testImages(for: loaded, data: data, dataDir: dataDir, count: count)
        let r = vae.evaluating { vae.vae.reconstruct(x) }
        try writeImages(Tensor.concat([x, r], axis: 0), to: out, range: .zeroToOne, nrow: x.shape[0])
        print("wrote \(x.shape[0]) originals and reconstructions to \(out)")
    }
}

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode straight lines between the latent codes of pairs of test images (VAE).")

    @Argument(help: "A VAE run folder or checkpoint.") var source: String
    @Option(help: "Points on each line, ends included.") var steps: Int = 10
    @Option(help: "How many pairs (one row each).") var pairs: Int = 4
    @Option(help: "Dataset to take images from (default: the run's, test split).") var data: String?
    @Option(help: "Folder of IDX files, as for train.") var dataDir: String?
    @Option(help: "Output .png grid or .npy array.") var out: String

    func validate() throws {
        if steps < 2 { throw ValidationError("--steps must be at least 2") }
        if pairs < 1 { throw ValidationError("--pairs must be at least 1") }
    }

    func run() throws {
        let loaded = try LoadedModel(source)
        guard let vae = loaded.model as? VAEModel else { throw RuntimeError("\(source) is not a VAE (it is \(loaded.config.model.rawValue))") }
        let x = try testImages(for: loaded, data: data, dataDir: dataDir, count: 2 * pairs)
        guard x.shape[0] >= 2 else { throw RuntimeError("need at least two images to interpolate") }
        let rows = (0..<(x.shape[0] / 2)).map { i in
            vae.evaluating { vae.vae.interpolate(from: x.sliced(axis: 0, 2 * i ..< 2 * i + 1), to: x.sliced(axis: 0, 2 * i + 1 ..< 2 * i + 2), steps: steps) }
        }
        try writeImages(Tensor.concat(rows, axis: 0), to: out, range: .zeroToOne, nrow: steps)
        print("wrote \(rows.count) interpolations of \(steps) steps to \(out)")
    }
}
