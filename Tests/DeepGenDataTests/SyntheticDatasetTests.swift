import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct SyntheticDatasetTests {
    @Test func ringHasEightDistinctModesAtTheRightAngles() {
        let centers = Mixture2D.ring8.centers
        #expect(centers.count == 8)
        for (k, c) in centers.enumerated() {
            let angle = Float(k) * .pi / 4
            #expect(abs(c.x - cos(angle)) < 1e-6 && abs(c.y - sin(angle)) < 1e-6)
        }
        // No two centres coincide (linspace(0, 2π, 8) would repeat the first).
        for i in 0..<8 { for j in (i + 1)..<8 { #expect(hypot(centers[i].x - centers[j].x, centers[i].y - centers[j].y) > 0.7) } }
    }

    @Test(arguments: [Mixture2D.ring8, .grid25])
    func samplesStayNearTheirModes(mixture: Mixture2D) {
        var rng = RandomGenerator(seed: 5)
        let (points, labels) = mixture.sample(4000, using: &rng)
        #expect(points.shape == [4000, 2])
        let p = points.scalars, centers = mixture.centers
        var spread: Float = 0
        for i in 0..<4000 {
            let dx = p[2 * i] - centers[labels[i]].x, dy = p[2 * i + 1] - centers[labels[i]].y
            spread += dx * dx + dy * dy
        }
        let sigma = (spread / 8000).squareRoot()
        #expect(abs(sigma - mixture.standardDeviation) < 0.1 * mixture.standardDeviation)
        #expect(Set(labels).count == centers.count)
    }

    @Test func spiralAndSwissRollAreBoundedAndSeeded() throws {
        for mixture in [Mixture2D.spiral, .swissRoll] {
            let a = Mixture2DDataset(mixture, count: 500, seed: 9), b = Mixture2DDataset(mixture, count: 500, seed: 9)
            let points = try (0..<500).flatMap { try a.sample(at: $0).values }
            #expect(points == (try (0..<500).flatMap { try b.sample(at: $0).values }))
            #expect(points.allSatisfy { abs($0) < 2.5 })
            #expect(points.map(abs).max()! > 0.8)
        }
    }

    @Test func shapesAreSeededAndLabelled() throws {
        let d = try ShapesDataset(count: 200, size: 28, seed: 3, range: .zeroToOne)
        let again = try ShapesDataset(count: 200, size: 28, seed: 3, range: .zeroToOne)
        let other = try ShapesDataset(count: 200, size: 28, seed: 4, range: .zeroToOne)
        #expect(try d.sample(at: 17) == again.sample(at: 17))
        #expect(try d.sample(at: 17).values != other.sample(at: 17).values)
        var classes = Set<Int>()
        for i in 0..<200 {
            let s = try d.sample(at: i), f = d.factors(at: i)
            classes.insert(s.label)
            #expect(s.label == f.shape.rawValue)
            #expect(s.values.allSatisfy { $0 >= 0 && $0 <= 1 })
            // The shape is inside the frame: the border rows and columns are empty.
            for k in 0..<28 { #expect(s.values[k] == 0 && s.values[27 * 28 + k] == 0 && s.values[k * 28] == 0) }
            // Anti-aliased: some pixels are partly covered.
            #expect(s.values.contains { $0 > 0.05 && $0 < 0.95 })
            // Area roughly matches the shape (circle: π r²).
            if f.shape == .circle {
                let area = s.values.reduce(0, +)
                #expect(abs(area - .pi * f.radius * f.radius) < 0.06 * .pi * f.radius * f.radius)
            }
        }
        #expect(classes == [0, 1, 2, 3])
        let rgb = try ShapesDataset(count: 10, size: 32, channels: 3, seed: 1)
        #expect(rgb.sampleShape == [3, 32, 32])
        #expect(try rgb.sample(at: 0).values.count == 3 * 32 * 32)
        #expect(throws: DataError.self) { _ = try ShapesDataset(size: 4) }
    }

    @Test func signedDistancesHaveTheRightSign() {
        for shape in ShapesDataset.Shape.allCases {
            #expect(ShapesDataset.signedDistance(shape, 0, 0) < 0, "\(shape) centre")
            #expect(ShapesDataset.signedDistance(shape, 3, 3) > 0, "\(shape) far")
        }
        #expect(abs(ShapesDataset.signedDistance(.circle, 2, 0) - 1) < 1e-6)
        #expect(abs(ShapesDataset.signedDistance(.square, 1.8, 0) - 1) < 1e-6)
    }
}
