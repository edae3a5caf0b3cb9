import DeepGen
import DeepGenNN

/// The small CNN DeepGen trains as its domain feature extractor (`deepgen train classifier`):
/// two blocks of Conv 3×3 → BatchNorm → ReLU → MaxPool 2, a dense layer of `featureSize` units
/// with ReLU (the penultimate features FID, KID and precision/recall compare), dropout, and a
/// linear head of one logit per class. Reaches about 92% on Fashion-MNIST's test set.
public final class FeatureClassifier: Module, Layer {
    public let features: Sequential
    public let head: Sequential
    public let classCount: Int
    public let featureSize: Int

    /// - Parameter imageShape: `[C, H, W]` with H and W divisible by 4.
    public init(imageShape: [Int], classCount: Int, width: Int = 32, featureSize: Int = 128, seed: UInt64 = 0,
                using rng: inout RandomGenerator) {
        precondition(imageShape.count == 3 && imageShape[1] % 4 == 0 && imageShape[2] % 4 == 0,
                     "[FeatureClassifier] needs [C, H, W] with H and W divisible by 4, got \(imageShape)")
        let (c, h, w) = (imageShape[0], imageShape[1], imageShape[2])
        self.classCount = classCount
        self.featureSize = featureSize
        features = Sequential([
            Conv2d(c, width, kernelSize: 3, padding: 1, using: &rng), BatchNorm2d(width), ReLU(), MaxPool2d(2),
            Conv2d(width, 2 * width, kernelSize: 3, padding: 1, using: &rng), BatchNorm2d(2 * width), ReLU(), MaxPool2d(2),
            Flatten(), Linear(2 * width * (h / 4) * (w / 4), featureSize, using: &rng), ReLU(),
        ])
        head = Sequential([Dropout(0.3, seed: seed &+ 211), Linear(featureSize, classCount, using: &rng)])
    }

    /// Class logits `[N, classCount]`.
    public func forward(_ x: Tensor) -> Tensor { head(features(x)) }
}
