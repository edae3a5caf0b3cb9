import DeepGen
import Foundation

/// How an image file becomes a training sample, following CycleGAN's `resize_and_crop`: resize to
/// `loadSize × loadSize`, crop `cropSize × cropSize` (at random or in the centre), optionally
/// mirror at random, convert to gray or RGB, scale to `range`.
public struct ImageTransform: Sendable, Equatable {
    /// The side images are resized to before cropping.
    public var loadSize: Int
    /// The side of the crop, at most `loadSize`.
    public var cropSize: Int
    /// Crop at a random position (training) rather than the centre.
    public var randomCrop: Bool
    /// Mirror left-right with probability 1/2.
    public var randomFlip: Bool
    /// 1 for gray, 3 for RGB.
    public var channels: Int
    /// The interval pixels are scaled to.
    public var range: PixelRange

    /// - Throws: ``DataError/invalidArgument(_:)`` when sizes are not positive, the crop is larger
    ///   than the resized image, or `channels` is not 1 or 3.
    public init(loadSize: Int, cropSize: Int? = nil, randomCrop: Bool = false, randomFlip: Bool = false,
                channels: Int = 3, range: PixelRange = .minusOneToOne) throws {
        let crop = cropSize ?? loadSize
        guard loadSize > 0, crop > 0 else { throw DataError.invalidArgument("image sizes must be positive (load \(loadSize), crop \(crop))") }
        guard crop <= loadSize else {
            throw DataError.invalidArgument("crop size \(crop) is larger than the load size \(loadSize); images are resized to the load size before cropping")
        }
        guard channels == 1 || channels == 3 else { throw DataError.invalidArgument("channels must be 1 (gray) or 3 (RGB), got \(channels)") }
        self.loadSize = loadSize
        self.cropSize = crop
        self.randomCrop = randomCrop
        self.randomFlip = randomFlip
        self.channels = channels
        self.range = range
    }

    /// Applies the transform to a decoded image, drawing crop position and flip from `rng`.
    public func apply(_ image: DecodedImage, using rng: inout RandomGenerator) -> [Float] {
        var pixels = image.planarUnit(channels: channels)
        pixels = ImageResize.bilinear(pixels, planes: channels, height: image.height, width: image.width,
                                      newHeight: loadSize, newWidth: loadSize)
        if cropSize < loadSize {
            let slack = loadSize - cropSize
            let top = randomCrop ? rng.nextInt(below: slack + 1) : slack / 2
            let left = randomCrop ? rng.nextInt(below: slack + 1) : slack / 2
            pixels = ImageResize.crop(pixels, planes: channels, height: loadSize, width: loadSize,
                                      top: top, left: left, cropHeight: cropSize, cropWidth: cropSize)
        }
        if randomFlip && rng.nextUniform() < 0.5 {
            pixels = ImageResize.flipHorizontally(pixels, planes: channels, height: cropSize, width: cropSize)
        }
        let range = self.range
        return pixels.map { range.scale(min(max($0, 0), 1)) }
    }
}

/// The PNG and JPEG files of a folder, decoded when sampled and transformed to a fixed size.
///
/// Files are listed once, sorted by name; files of other types are skipped. A file that fails to
/// decode makes ``sample(at:using:)`` throw an error naming it.
public struct ImageFolderDataset: Dataset {
    /// The image files, sorted by path.
    public let files: [URL]
    /// How each file becomes a sample.
    public var transform: ImageTransform
    /// The label every sample carries (the domain index for ``UnpairedDataset``).
    public var label: Int

    /// The file extensions read (lowercase).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Lists the images of `directory` (not its subfolders).
    ///
    /// - Throws: ``DataError/io(file:reason:)`` when the folder cannot be listed,
    ///   ``DataError/emptyFolder(path:reason:)`` when it holds no PNG or JPEG file.
    public init(directory: URL, transform: ImageTransform, label: Int = 0) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.io(file: directory.path, reason: "no such folder")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw DataError.io(file: directory.path, reason: "cannot list folder: \(error.localizedDescription)")
        }
        let images = names.filter { !$0.hasPrefix(".") && Self.extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        guard !images.isEmpty else {
            let others = names.filter { !$0.hasPrefix(".") }
            throw DataError.emptyFolder(path: directory.path, reason: others.isEmpty
                ? "no files; expected .png, .jpg or .jpeg images"
                : "no .png, .jpg or .jpeg images among its \(others.count) entries (e.g. \(others.sorted().prefix(3).joined(separator: ", ")))")
        }
        try self.init(files: images.map { directory.appendingPathComponent($0) }, transform: transform, label: label)
    }

    /// A dataset of the given image files.
    public init(files: [URL], transform: ImageTransform, label: Int = 0) throws {
        guard !files.isEmpty else { throw DataError.invalidArgument("an image dataset needs at least one file") }
        self.files = files
        self.transform = transform
        self.label = label
    }

    public var count: Int { files.count }
    public var sampleShape: [Int] { [transform.channels, transform.cropSize, transform.cropSize] }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        let image = try ImageCodec.read(files[index])
        return Sample(values: transform.apply(image, using: &rng), label: label)
    }
}
