import DeepGen
import Foundation
import Testing

/// `deepgen train classifier`, `deepgen eval`, `--eval-every` and `deepgen export` end to end on
/// tiny procedural data (a shapes classifier stands in for the bundled Fashion-MNIST one).
@Suite(.serialized) struct EvalCommandTests {
    /// The JSON object at `url`.
    func json(_ url: URL) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The header and rows of a run's metrics.csv.
    func metricsRows(_ run: URL) throws -> (header: [String], rows: [[String]]) {
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return (lines.first ?? [], Array(lines.dropFirst()))
    }

    @Test func classifierServesAsExtractorForEvalAndEvalEvery() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let classifier = dir.appendingPathComponent("classifier")
        let c = try CLI.run(["train", "classifier", "--data", "shapes", "--epochs", "1", "--synthetic-count", "256", "--batch-size", "32",
                             "--width", "4", "--hidden-size", "16", "--out", classifier.path])
        #expect(c.status == 0 && c.output.contains("test accuracy"), "\(c.output)")
        let csv = try metricsRows(classifier)
        #expect(csv.header.contains("test_accuracy"))

        // A VAE whose FID/KID are logged every epoch with that classifier's features.
        let vae = dir.appendingPathComponent("vae")
        let v = try CLI.run(["train", "conv-vae", "--data", "shapes", "--epochs", "2", "--synthetic-count", "64", "--batch-size", "16",
                             "--width", "4", "--eval-every", "1", "--eval-count", "32", "--extractor", classifier.path, "--out", vae.path])
        #expect(v.status == 0 && v.output.contains("FID"), "\(v.output)")
        let log = try metricsRows(vae)
        let fidColumn = try #require(log.header.firstIndex(of: "fid"))
        let fids = log.rows.compactMap { $0.indices.contains(fidColumn) ? Double($0[fidColumn]) : nil }
        #expect(fids.count == 2 && fids.allSatisfy { $0 >= 0 }, "fid column \(fids)")

        // deepgen eval: table, eval.json with every requested metric.
        let e = try CLI.run(["eval", vae.path, "--extractor", classifier.path, "--count", "40", "--metrics", "fid,kid,pr,score,nll",
                             "--iwae-samples", "4", "--kid-subsets", "3", "--kid-subset-size", "20"])
        #expect(e.status == 0, "\(e.output)")
        for row in ["FID", "KID", "precision / recall", "classifier score", "−log p(x), IWAE k=4"] { #expect(e.output.contains(row), "no \(row) in \(e.output)") }
        let report = try json(vae.appendingPathComponent("eval.json"))
        let results = try #require(report["results"] as? [String: Any])
        #expect(Set(results.keys).isSuperset(of: ["fid", "kid", "pr", "score", "nll", "realScore"]), "\(results.keys)")
        let nll = try #require(results["nll"] as? [String: Any])
        let bound = try #require(nll["negativeLogLikelihood"] as? Double), elbo = try #require(nll["negativeELBO"] as? Double)
        #expect(bound <= elbo + 1e-9, "IWAE bound \(bound) above the negative ELBO \(elbo)")

        // A classifier evaluates to its test accuracy; a non-classifier is refused as an extractor.
        let acc = try CLI.run(["eval", classifier.path])
        #expect(acc.status == 0 && acc.output.contains("test accuracy"), "\(acc.output)")
        let wrong = try CLI.run(["eval", vae.path, "--extractor", vae.path, "--metrics", "fid"])
        #expect(wrong.status != 0 && wrong.output.contains("not a classifier"), "\(wrong.output)")
        // Without --extractor, shapes' bundled classifier judges the samples.
        let bundled = try CLI.run(["eval", vae.path, "--metrics", "fid", "--count", "40", "--out", dir.appendingPathComponent("bundled.json").path])
        #expect(bundled.status == 0 && bundled.output.contains("shapes-classifier.safetensors") && bundled.output.contains("FID"), "\(bundled.output)")
        let bogus = try CLI.run(["eval", vae.path, "--metrics", "fid,bogus"])
        #expect(bogus.status != 0 && bogus.output.contains("unknown metric 'bogus'"), "\(bogus.output)")

        // CycleGAN: both directions, with the target class share from the classifier.
        let cycle = dir.appendingPathComponent("cycle")
        let t = try CLI.run(["train", "cyclegan", "--data", "shapes:square,circle", "--epochs", "1", "--max-steps", "2", "--residual-blocks", "1",
                             "--synthetic-count", "40", "--batch-size", "2", "--width", "4", "--out", cycle.path])
        #expect(t.status == 0, "\(t.output)")
        let tr = try CLI.run(["eval", cycle.path, "--extractor", classifier.path, "--count", "8"])
        #expect(tr.status == 0 && tr.output.contains("translation AtoB") && tr.output.contains("translation BtoA"), "\(tr.output)")
        let translation = try #require((try json(cycle.appendingPathComponent("eval.json"))["results"] as? [String: Any])?["translation"] as? [[String: Any]])
        #expect(translation.count == 2 && translation.allSatisfy { $0["targetClassShare"] is Double && $0["cycleL1"] is Double })
    }

    @Test func modeCoverageDuringTrainingAndInEval() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("ring")
        let r = try CLI.run(["train", "gan", "--data", "ring8", "--epochs", "1", "--decay-epochs", "0", "--synthetic-count", "512", "--batch-size", "64",
                             "--eval-every", "1", "--eval-count", "200", "--out", run.path])
        #expect(r.status == 0 && r.output.contains("modes covered"), "\(r.output)")
        #expect(try metricsRows(run).header.contains("modes_covered"))
        let e = try CLI.run(["eval", run.path, "--count", "100", "--repeats", "2", "--seed", "5"])
        #expect(e.status == 0 && e.output.contains("modes covered"), "\(e.output)")
        let modes = try #require((try json(run.appendingPathComponent("eval.json"))["results"] as? [String: Any])?["modes"] as? [String: Any])
        #expect(modes["seeds"] as? [Int] == [5, 6])
        #expect((modes["perSeed"] as? [Any])?.count == 2)

        // --eval-every on data without modes is refused before anything is written.
        let spiral = dir.appendingPathComponent("spiral")
        let s = try CLI.run(["train", "gan", "--data", "spiral", "--epochs", "1", "--decay-epochs", "0", "--synthetic-count", "128", "--eval-every", "1", "--out", spiral.path])
        #expect(s.status != 0 && s.output.contains("needs ring8 or grid25"), "\(s.output)")
        #expect(!fileExists(spiral.appendingPathComponent("config.json")))
    }

    @Test func exportWritesWeightsThatSampleAndNeverOverwrites() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("dcgan")
        let r = try CLI.run(["train", "dcgan", "--data", "shapes", "--epochs", "1", "--synthetic-count", "48", "--batch-size", "16",
                             "--width", "4", "--latent-size", "8", "--out", run.path])
        #expect(r.status == 0, "\(r.output)")
        let weights = dir.appendingPathComponent("weights.safetensors")
        let x = try CLI.run(["export", run.path, "--out", weights.path])
        #expect(x.status == 0 && fileExists(weights), "\(x.output)")
        let checkpointSize = try #require(try FileManager.default.attributesOfItem(atPath: run.appendingPathComponent("checkpoints/latest.safetensors").path)[.size] as? Int)
        let weightsSize = try #require(try FileManager.default.attributesOfItem(atPath: weights.path)[.size] as? Int)
        #expect(weightsSize < checkpointSize, "weights \(weightsSize) B, checkpoint \(checkpointSize) B")
        // The networks (the generator's moving average, the 28×28 DCGAN's default, among them), no optimizer state.
        let names = Array(try SafetensorsFile(contentsOf: weights).tensors.keys)
        #expect(!names.contains { $0.hasPrefix("optimizer.") } && names.contains { $0.hasPrefix("generator_ema.") }, "\(names.sorted())")
        let fromWeights = dir.appendingPathComponent("a.npy"), fromRun = dir.appendingPathComponent("b.npy")
        #expect(try CLI.run(["sample", weights.path, "--count", "4", "--out", fromWeights.path]).status == 0)
        #expect(try CLI.run(["sample", run.path, "--count", "4", "--out", fromRun.path]).status == 0)
        #expect(try Data(contentsOf: fromWeights) == Data(contentsOf: fromRun))
        let before = try Data(contentsOf: weights)
        let again = try CLI.run(["export", run.path, "--out", weights.path])
        #expect(again.status != 0 && again.output.contains("--force"), "\(again.output)")
        #expect(try Data(contentsOf: weights) == before)
    }
}
