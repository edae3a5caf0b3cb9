import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
@testable import DeepGenTraining

/// `vae --flow planar`: planar flows on the posterior (Rezende & Mohamed 2015, §6).
@Suite(.serialized) struct VAEFlowTests {
    /// A small MLP VAE with 3 flows whose flow head is moved off its initial weights.
    func model(seed: UInt64) -> MLPVAE {
        var rng = RandomGenerator(seed: seed)
        let vae = MLPVAE(imageShape: [1, 4, 4], hidden: 8, latentSize: 3, flowLength: 3, using: &rng)
        vae.fcFlow!.weight.value = Tensor.normal(vae.fcFlow!.weight.shape, std: 0.8, using: &rng)
        return vae
    }

    @Test func theFlowsLogDeterminantIsTheJacobians() throws {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.uniform([4, 1, 4, 4], using: &rng)
        let flow = try #require(model(seed: 1).encode(x).flow)
        let z0 = Tensor.normal([4, 3], using: &rng)
        let logDet = withoutGrad { flow.transform(z0).logDet }.scalars
        // Rows are independent: row i of J from the gradient of output i.
        let input = z0.requiringGrad()
        let z = flow.transform(input).z
        for e in 0..<4 {
            var j = [[Double]](repeating: [0, 0, 0], count: 3)
            for i in 0..<3 {
                let g = gradients(of: z.sliced(axis: 1, i..<(i + 1)).sum(), with: [input])[0].scalars
                for c in 0..<3 { j[i][c] = Double(g[e * 3 + c]) }
            }
            let det = j[0][0] * (j[1][1] * j[2][2] - j[1][2] * j[2][1]) - j[0][1] * (j[1][0] * j[2][2] - j[1][2] * j[2][0])
                + j[0][2] * (j[1][0] * j[2][1] - j[1][1] * j[2][0])
            #expect(abs(Double(logDet[e]) - log(abs(det))) <= 1e-4 * max(1, abs(log(abs(det)))), "row \(e): \(logDet[e]) vs \(log(abs(det)))")
        }
    }

    /// One importance sample of one image is the one-sample ELBO with the same noise: the
    /// training loss and the IWAE path agree, flows included.
    @Test func oneImportanceSampleIsTheELBO() throws {
        let vae = model(seed: 2)
        var data = RandomGenerator(seed: 5)
        let x = Tensor.uniform([1, 1, 4, 4], using: &data).isLess(Tensor(0.5))
        var r1 = RandomGenerator(seed: 9), r2 = RandomGenerator(seed: 9)
        let elbo = withoutGrad { vae.elbo(x, using: &r1) }.loss.scalar
        let (bound, estimate) = try vae.importanceWeightedLogLikelihood(x, samples: 1, using: &r2)
        #expect(abs(Double(-elbo) - bound[0]) <= 1e-3 * max(1, abs(bound[0])) && bound == estimate, "ELBO \(-elbo), IWAE path \(bound)")
    }

    @Test func trainsResumesEvaluatesAndRefusesWhatCannotWork() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "vae", "--data", "shapes", "--synthetic-count", "256", "--batch-size", "32", "--epochs", "2", "--binarize",
                     "--hidden-size", "32", "--latent-size", "4", "--flow", "planar", "--flow-length", "3", "--threads", "2"]
        try deepgen(train + ["--max-steps", "11", "--out", run.path])
        let h = try RunDirectory(run).readConfig().model.hyperparameters(as: VAEHyperparameters.self)
        #expect(h.flow == "planar" && h.flowLength == 3)
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run)
        #expect(a.keys.contains("vae.fc_flow.weight"))
        #expect(try a == finalWeights(straight), "resumed run differs from the straight one")
        try deepgen(["eval", run.path, "--metrics", "nll", "--count", "20", "--iwae-samples", "8"])
        let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
        let nll = try #require(report.results.nll)
        #expect(nll.negativeLogLikelihood <= nll.negativeELBO && nll.samples == 8 && nll.bitsPerDimension != nil)

        func refusal(_ arguments: [String]) -> String {
            do { try deepgen(arguments); return "" } catch { return DeepGenCommand.message(for: error) + " \(error)" }
        }
        let out = ["--out", dir.appendingPathComponent("r").path]
        #expect(refusal(["train", "vae", "--data", "shapes", "--flow-length", "3"] + out).contains("--flow-length needs --flow planar"))
        #expect(refusal(["train", "vae", "--data", "shapes", "--flow", "radial"] + out).contains("--flow must be planar"))
        #expect(refusal(["train", "conv-vae", "--data", "shapes", "--flow", "planar"] + out).contains("Unknown option"))
        #expect(refusal(["train", "vae", "--data", "shapes", "--flow", "planar", "--flow-length", "0"] + out).contains("--flow-length"))
    }
}
