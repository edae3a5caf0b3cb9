import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenModels
@testable import DeepGenTraining

/// The classifiers that ship as resources load and classify the test sets (Fashion-MNIST from
/// `apt-get install dataset-fashion-mnist`, FSDD from the shared data) as well as when trained.
@Suite struct BundledExtractorTests {
    @Test func fashionMNISTExtractorLoadsAndReachesItsAccuracy() throws {
        let extractor = try FeatureExtractor.bundled(for: "fashion-mnist:sneaker")
        #expect(extractor.imageShape == [1, 28, 28] && extractor.classCount == 10 && extractor.featureSize == 128)
        let test = try FashionMNIST.load(split: .test, range: .minusOneToOne)
        // The first 2,000 test images: ≥ 90% (the whole test set gives the accuracy in Resources/README.md).
        let subset = FirstImages(base: test, count: 2000)
        let accuracy = try extractor.accuracy(on: subset)
        #expect(accuracy >= 0.90, "bundled classifier: \(accuracy) on 2,000 test images")
        // Features are finite and of the documented size; inputs in [0, 1] are mapped to its range.
        var rng = RandomGenerator(seed: 0)
        let images = try (0..<4).map { try subset.sample(at: $0, using: &rng).values }.flatMap { $0 }
        let x = Tensor(shape: [4, 1, 28, 28], scalars: images)
        let a = try extractor.outputs(x, range: .minusOneToOne), b = try extractor.outputs((x + 1) * 0.5, range: .zeroToOne)
        #expect(a.features.shape == [4, 128])
        #expect(zip(a.features.scalars, b.features.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(throws: MetricError.self) { try extractor.outputs(Tensor(zeros: [2, 1, 32, 32]), range: .zeroToOne) }
    }

    /// The FSDD spectrogram classifier: 1 s windows at 8 kHz, and on the 300 test recordings the
    /// accuracy Resources/README.md states (skipped where `../shared/data` is absent).
    @Test func fsddExtractorLoadsAndReachesItsAccuracy() throws {
        let extractor = try FeatureExtractor.bundled(for: "fsdd:/anywhere")
        #expect(extractor.imageShape == [1, 8000] && extractor.audioSampleRate == 8000 && extractor.classCount == 10)
        let recordings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/fsdd/recordings").standardized
        guard FileManager.default.fileExists(atPath: recordings.path) else {
            print("skipped: \(recordings.path) is absent (the Free Spoken Digit Dataset is shared with the tests, not shipped)")
            return
        }
        let test = try DatasetRegistry.load(DataOptions(spec: "fsdd:" + recordings.path), request: DataRequest(range: .minusOneToOne, sequenceLength: 8000),
                                            split: .test, seed: 0).dataset
        let accuracy = try extractor.accuracy(on: test)
        #expect(Swift.abs(accuracy - 0.9633) < 0.002, "bundled FSDD classifier: \(accuracy) on the 300 test recordings")
    }

    /// The shapes classifier: 4 classes, and on the first 2,000 test images the accuracy
    /// Resources/README.md states for all 60,000 (at most one mistake).
    @Test func shapesExtractorLoadsAndReachesItsAccuracy() throws {
        let extractor = try FeatureExtractor.bundled(for: "shapes:circle")
        #expect(extractor.imageShape == [1, 28, 28] && extractor.classCount == 4 && extractor.featureSize == 128)
        let test = try DatasetRegistry.load(DataOptions(spec: "shapes"), request: DataRequest(range: .minusOneToOne), split: .test, seed: 0).dataset
        let accuracy = try extractor.accuracy(on: FirstImages(base: test, count: 2000))
        #expect(accuracy >= 0.9995, "bundled shapes classifier: \(accuracy) on 2,000 test images")
    }

    @Test func otherDatasetsNameHowToTrainAnExtractor() {
        #expect(throws: MetricError.self) { try FeatureExtractor.bundled(for: "ring8") }
        do { _ = try FeatureExtractor.bundled(for: "mnist:3,5") } catch {
            #expect("\(error)".contains("deepgen train classifier --data mnist"))
        }
    }
}

/// The first `count` samples of a dataset.
struct FirstImages: Dataset {
    let base: any Dataset
    let count: Int
    var sampleShape: [Int] { base.sampleShape }
    func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample { try base.sample(at: index, using: &rng) }
}
