import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
@testable import DeepGenTraining

/// Planar and radial flows fitted to the energies of Rezende & Mohamed through the commands:
/// train, stop, resume to the same weights, KL(q‖p) falling, samples; the energies themselves.
@Suite(.serialized) struct EnergyFlowTests {
    func column(_ name: String, of run: URL) throws -> [Double] {
        let lines = try String(contentsOf: RunDirectory(run).metricsURL, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let c = try #require(header.firstIndex(of: Substring(name)))
        return lines.dropFirst().compactMap { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return c < cells.count ? Double(cells[c]) : nil
        }
    }

    @Test(arguments: ["planar", "radial"])
    func fitsAnEnergyResumesAndSamples(_ model: String) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", model, "--data", "energy:u1", "--synthetic-count", "1024", "--batch-size", "128", "--epochs", "4",
                     "--flow-length", "8", "--annealing-steps", "10", "--lr", "0.02", "--threads", "2"]
        try deepgen(train + ["--max-steps", "13", "--out", run.path])
        let config = try RunDirectory(run).readConfig().model
        #expect(try config.hyperparameters(as: FlowHyperparameters.self).energy == "u1")
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        #expect(try finalWeights(run) == finalWeights(straight), "resumed run differs from the straight one")
        let kl = try column("test_kl", of: run)
        #expect(kl.count == 4 && kl.allSatisfy { $0 > 0 } && kl[3] < kl[0] - 0.5, "KL per epoch \(kl)")
        #expect(FileManager.default.fileExists(atPath: RunDirectory(run).sampleURL(4).path))
        let npy = dir.appendingPathComponent("s.npy"), png = dir.appendingPathComponent("s.png")
        try deepgen(["sample", run.path, "--count", "300", "--temperature", "0.8", "--out", npy.path])
        #expect(String(decoding: try Data(contentsOf: npy).prefix(128), as: UTF8.self).contains("'shape': (300, 2)"))
        try deepgen(["sample", run.path, "--count", "300", "--out", png.path])
        #expect(try Data(contentsOf: png).starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // `deepgen eval`: KL(q‖p) on fresh draws agrees with the last epoch's on the test noise.
        try deepgen(["eval", run.path, "--count", "5000"])
        let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
        let evaluated = try #require(report.results.kl)
        #expect(report.results.klSamples == 5000 && evaluated > 0 && abs(evaluated - kl[3]) < 0.1, "eval \(evaluated), last epoch \(kl[3])")
    }

    @Test func theEnergiesAreThePapersAndTheirNormalizersConverge() {
        // U at a few points, written out from the paper's formulas in double precision.
        let z: [(Double, Double)] = [(0, 0), (2, 0.5), (-1.3, 1.1), (1, -2.2), (3.9, -3.9)]
        func w1(_ a: Double) -> Double { sin(2 * Double.pi * a / 4) }
        func nlse(_ a: Double, _ b: Double) -> Double { -log(exp(a) + exp(b)) }
        let expected: [Energy2D: (Double, Double) -> Double] = [
            .u1: { a, b in 0.5 * pow((sqrt(a * a + b * b) - 2) / 0.4, 2) + nlse(-0.5 * pow((a - 2) / 0.6, 2), -0.5 * pow((a + 2) / 0.6, 2)) },
            .u2: { a, b in 0.5 * pow((b - w1(a)) / 0.4, 2) },
            .u3: { a, b in nlse(-0.5 * pow((b - w1(a)) / 0.35, 2), -0.5 * pow((b - w1(a) + 3 * exp(-0.5 * pow((a - 1) / 0.6, 2))) / 0.35, 2)) },
            .u4: { a, b in nlse(-0.5 * pow((b - w1(a)) / 0.4, 2), -0.5 * pow((b - w1(a) + 3 / (1 + exp(-(a - 1) / 0.3))) / 0.35, 2)) },
        ]
        let points = Tensor(shape: [z.count, 2], scalars: z.flatMap { [Float($0.0), Float($0.1)] })
        for energy in Energy2D.allCases {
            let got = withoutGrad { energy.energy(points) }.scalars
            for (i, p) in z.enumerated() {
                let want = expected[energy]!(Double(Float(p.0)), Double(Float(p.1)))
                #expect(abs(Double(got[i]) - want) <= 1e-3 * max(1, abs(want)), "\(energy) at \(p): \(got[i]) vs \(want)")
            }
            // Outside [−4, 4]² the wall adds 50·(distance past the edge)².
            let outside = withoutGrad { energy.energy(Tensor(shape: [2, 2], scalars: [3.9, 0, 4.5, 0])) }.scalars
            let inside = expected[energy]!(Double(Float(4.5)), 0)
            #expect(abs(Double(outside[1]) - (inside + 50 * 0.25)) <= 1e-3 * max(1, abs(inside + 12.5)), "\(energy) wall")
            // The grid's log Z settles: 300² and 600² cells agree to 1e-3.
            #expect(abs(energy.logNormalizer(cells: 300) - energy.logNormalizer(cells: 600)) < 1e-3, "\(energy)")
        }
    }

    @Test func energiesAreRefusedByOtherModelsAndUnknownOnesByName() {
        func refusal(_ arguments: [String]) -> String {
            do { try deepgen(arguments); return "" } catch { return DeepGenCommand.message(for: error) + " \(error)" }
        }
        let out = ["--out", temporaryDirectory().appendingPathComponent("r").path]
        #expect(refusal(["train", "gan", "--data", "energy:u1"] + out).contains("energy:u1 gives 2-D energy functions"))
        #expect(refusal(["train", "planar", "--data", "ring8"] + out).contains("planar trains on 2-D energy functions"))
        #expect(refusal(["train", "planar", "--data", "energy:u9"] + out).contains("energy needs one of u1, u2, u3, u4"))
        #expect(refusal(["train", "radial", "--data", "energy:u2", "--flow-length", "0"] + out).contains("--flow-length"))
    }
}
