import Foundation
import Testing
@testable import DeepGenData

@Suite struct MuLawTests {
    @Test func everyLevelSurvivesDecodingAndEncoding() {
        for q in 0..<MuLaw.levels { #expect(MuLaw.encode(MuLaw.decode(q)) == q, "level \(q)") }
        #expect(MuLaw.encode(MuLaw.decode(Array(0..<256))) == Array(0..<256))
    }

    @Test func endsAndSilenceAreExact() {
        #expect(MuLaw.encode(1) == 255)
        #expect(MuLaw.encode(-1) == 0)
        #expect(MuLaw.encode(0) == 128)
        #expect(MuLaw.encode(-0.0) == 128)
        #expect(MuLaw.decode(0) == -1)
        #expect(MuLaw.decode(255) == 1)
    }

    @Test func valuesBeyondFullScaleClipInsteadOfOverflowing() {
        for x: Float in [1.5, 1.0000001, 7, .greatestFiniteMagnitude, .infinity] {
            #expect(MuLaw.encode(x) == 255, "\(x)")
            #expect(MuLaw.encode(-x) == 0, "\(-x)")
        }
    }

    @Test func nanEncodesAsSilence() {
        #expect(MuLaw.encode(Float.nan) == MuLaw.silence)
        #expect(MuLaw.encode([0.5, .nan, -0.5])[1] == 128)
    }

    @Test func levelsAreMonotoneAndOddSymmetric() {
        let values = MuLaw.decode(Array(0..<256))
        for q in 1..<256 { #expect(values[q] > values[q - 1]) }
        for q in 0..<256 { #expect(values[q] == -values[255 - q], "level \(q)") }
        // Fine steps near silence, coarse near full scale.
        #expect(values[128] - values[127] < 2e-4)
        #expect(values[255] - values[254] > 0.02)
        // Encoding a dense sweep never goes down and hits every level.
        var previous = 0, seen = Set<Int>()
        for i in 0...200_000 {
            let q = MuLaw.encode(Float(i) / 100_000 - 1)
            #expect(q >= previous)
            previous = q
            seen.insert(q)
        }
        #expect(seen.count == 256)
    }

    @Test func encodingMatchesTheFormula() {
        for x: Float in [-0.9, -0.3, -0.01, 0.001, 0.2, 0.75] {
            let f = Double(x < 0 ? -1 : 1) * log(1 + 255 * Double(abs(x))) / log(256)
            #expect(MuLaw.encode(x) == Int(floor((f + 1) / 2 * 255 + 0.5)))
            // Quantisation error is at most half a step in the companded domain.
            let fBack = Double(MuLaw.decode(MuLaw.encode(x)))
            let back = Double(fBack < 0 ? -1 : 1) * log(1 + 255 * abs(fBack)) / log(256)
            #expect(abs(back - f) <= 1 / 255 + 1e-9)
        }
    }
}
