import DeepGen
import Testing
@testable import DeepGenData

/// `classLabels`: what a conditional model trains on, so it must list exactly the labels present.
@Suite struct ClassLabelTests {
    @Test func idxListsTheLabelsOfItsSelection() throws {
        let pixels = [UInt8](repeating: 0, count: 5 * 4)
        let labels: [UInt8] = [0, 2, 2, 5, 7]
        let all = try IDXDataset(pixels: pixels, labels: labels, height: 2, width: 2)
        #expect(all.classLabels == [0, 2, 5, 7])
        // A requested class with no images is not listed.
        let some = try IDXDataset(pixels: pixels, labels: labels, height: 2, width: 2, classes: [7, 2, 9])
        #expect(some.classLabels == [2, 7])
    }

    @Test func shapesHasFourClassesAndUnlabelledDataHasNone() throws {
        #expect(try ShapesDataset(count: 10).classLabels == [0, 1, 2, 3])
        #expect(Mixture2DDataset(.ring8, count: 10, seed: 0).classLabels == nil)
    }
}

@Suite struct RootMeanSquareTests {
    /// E[x²] per coordinate: the mean of the squared centres plus σ² (√(8 + 0.0025) for grid25,
    /// √(0.5 + 0.0001) for ring8).
    @Test(arguments: [(Mixture2D.grid25, Float(8.0025).squareRoot()), (.ring8, Float(0.5001).squareRoot())])
    func mixturesHaveTheirAnalyticScale(_ mixture: Mixture2D, expected: Float) throws {
        let rms = try Mixture2DDataset(mixture, count: 20_000, seed: 4).rootMeanSquare()
        #expect(abs(rms - expected) < 0.02 * expected, "\(mixture): \(rms) vs \(expected)")
    }
}
