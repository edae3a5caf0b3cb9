import DeepGen
import Foundation

/// `folder:PATH`: PNG/JPEG images in a folder, resized and centre-cropped to `--image-size`.
public enum ImageFolderSource: DatasetSource {
    public static let names = ["folder"]
    public static let usage = "folder:PATH"
    public static let summary = "PNG/JPEG images in a folder, resized to --image-size"
    public static let sampleKind = SampleKind.image

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        guard let path = spec.classes?.joined(separator: ",") else { throw DataError.invalidArgument("folder needs a path: folder:PATH") }
        let transform = try ImageTransform(loadSize: options.imageSize, randomFlip: split == .train, channels: 3, range: request.range)
        return try ImageFolderDataset(directory: URL(fileURLWithPath: path), transform: transform)
    }
}

/// `unpaired:PATH`: CycleGAN's layout, `PATH/trainA` and `PATH/trainB` (`testA`, `testB` for the test split).
public enum UnpairedFolderSource: DatasetSource {
    public static let names = ["unpaired"]
    public static let usage = "unpaired:PATH"
    public static let summary = "CycleGAN layout PATH/trainA, trainB (testA, testB for the test split)"
    public static let sampleKind = SampleKind.image

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        guard let path = spec.classes?.joined(separator: ",") else { throw DataError.invalidArgument("unpaired needs a path: unpaired:PATH") }
        // CycleGAN's pipeline: resize to 286/256 of the size, random crop, random flip.
        let train = split == .train
        let transform = try ImageTransform(loadSize: train ? options.imageSize * 286 / 256 : options.imageSize, cropSize: options.imageSize,
                                           randomCrop: train, randomFlip: train, channels: 3, range: request.range)
        return try UnpairedDataset(root: URL(fileURLWithPath: path), split: split, transform: transform)
    }
}
