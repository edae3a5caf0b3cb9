import DeepGen
import DeepGenData
import DeepGenMetrics
import Foundation

/// A trained ``FeatureClassifier`` in evaluation mode: maps images to penultimate features (for
/// FID, KID, precision/recall) and class probabilities (classifier score, class histograms).
public final class FeatureExtractor {
    public let classifier: FeatureClassifier
    /// The pixel range the classifier was trained on; inputs in another range are mapped to it.
    public let inputRange: PixelRange
    /// The dataset the classifier was trained on, as given on the command line.
    public let dataset: String
    /// Where the weights came from (a path, or the name of a bundled resource).
    public let source: String
    public var featureSize: Int { classifier.featureSize }
    public var classCount: Int { classifier.classCount }
    /// The input shape: an image's `[C, H, W]`, or an audio window's `[1, L]`.
    public var imageShape: [Int]
    /// For a classifier of audio: the sample rate of its windows, which it sees as spectrograms.
    public let audioSampleRate: Int?

    public init(classifier: FeatureClassifier, imageShape: [Int], inputRange: PixelRange = .minusOneToOne, dataset: String, source: String,
                audio sampleRate: Int? = nil) {
        self.classifier = classifier
        audioSampleRate = sampleRate
        self.imageShape = imageShape
        self.inputRange = inputRange
        self.dataset = dataset
        self.source = source
        classifier.eval()
    }

    /// Features `[N, featureSize]` and class probabilities `[N, classCount]` of `images`
    /// (`[N, C, H, W]` in `range`, or audio windows `[N, 1, L]`), computed in batches.
    public func outputs(_ images: Tensor, range: PixelRange, batchSize: Int = 500) throws -> (features: Tensor, probabilities: Tensor) {
        guard images.rank == imageShape.count + 1, Array(images.shape.dropFirst()) == imageShape else {
            throw MetricError.shapeMismatch("the feature extractor (\(source)) takes \(audioSampleRate == nil ? "images" : "audio windows") of shape \(imageShape); got \(Array(images.shape.dropFirst()))")
        }
        var features: [Float] = [], probabilities: [Float] = []
        features.reserveCapacity(images.shape[0] * featureSize)
        probabilities.reserveCapacity(images.shape[0] * classCount)
        try withoutGrad {
            var start = 0
            while start < images.shape[0] {
                let end = min(start + batchSize, images.shape[0])
                var x = images.sliced(axis: 0, start..<end)
                if audioSampleRate != nil {
                    x = SpectrogramImages.images(x)
                } else if range != inputRange {
                    x = range == .zeroToOne ? x * 2 - 1 : (x + 1) * 0.5
                }
                let f = classifier.features(x)
                features += f.scalars
                probabilities += classifier.head(f).softmax(axis: 1).scalars
                start = end
            }
            if features.contains(where: { !$0.isFinite }) {
                throw MetricError.nonFinite("the images give non-finite features (do they hold NaN or Inf?)")
            }
        }
        let n = images.shape[0]
        return (Tensor(shape: [n, featureSize], scalars: features), Tensor(shape: [n, classCount], scalars: probabilities))
    }

    /// The share of `dataset`'s samples whose most probable class is their label.
    public func accuracy(on dataset: any Dataset, range: PixelRange = .minusOneToOne) throws -> Float {
        let loader = try DataLoader(dataset: dataset, batchSize: 500, shuffle: false, dropLast: false, prefetch: true)
        var correct = 0, total = 0
        while let batch = try loader.next() {
            let p = try outputs(batch.images, range: range).probabilities
            correct += zip(p.argmaxRows(), batch.labels).filter { $0 == $1 }.count
            total += batch.count
        }
        return Float(correct) / Float(max(total, 1))
    }
}
