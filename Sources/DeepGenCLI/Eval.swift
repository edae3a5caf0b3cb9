import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenModels
import DeepGenTraining
import Foundation

extension MetricName: ExpressibleByArgument {}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model: FID, KID, precision/recall, classifier score, mode coverage, VAE likelihood, translation.",
        discussion: """
        Prints a table and writes eval.json into the run folder. Without --metrics, the metrics that \
        apply to the model are computed: fid,kid,pr,score for GANs on images (plus nll for VAEs), modes \
        for GANs on ring8/grid25, translation for CycleGAN, accuracy for a classifier.

        FID, KID and precision/recall compare features of a classifier trained on the data: for \
        Fashion-MNIST and for the built-in shapes one ships with DeepGen; for other data train one (`deepgen train classifier --data DATA`) \
        and pass its run folder with --extractor.

        Examples:
          deepgen eval runs/dcgan-fashion-mnist
          deepgen eval runs/vae-fashion-mnist --metrics nll --iwae-samples 5000
          deepgen eval runs/gan-ring8 --metrics modes --repeats 4
          deepgen eval runs/gpt-shakespeare      (text: loss on the validation and training text)
        """)

    @Argument(help: "A run folder or a checkpoint file.") var source: String
    @Option(help: "Metrics, comma-separated: \(MetricName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var metrics: [String] = []
    @Option(help: "Generated samples and test images compared (default 10,000; 2,500 for modes; all test images for nll). Audio: generated clips per class (default 50).") var count: Int?
    @Option(help: "Seed of the generator's noise, KID's subsets and the posterior draws.") var seed: UInt64 = 0
    @Option(help: "Sample draws (seeds S, S+1, …) that mode coverage averages.") var repeats: Int = 4
    @Option(help: "Importance samples per test image for nll (default: the model's; a VAE's 5,000, a flow's 1 dequantization draw).")
    var iwaeSamples: Int?
    @Option(help: "Random subsets KID averages over.") var kidSubsets: Int = 100
    @Option(help: "Size of KID's subsets.") var kidSubsetSize: Int = 1000
    @Option(help: "Neighbours k of precision/recall.") var neighbours: Int = 3
    @Flag(help: "Skip scoring training images in place of samples (the reference row: what a perfect generator would get).")
    var noReference = false
    @Option(help: "A classifier run folder or checkpoint to use as the feature extractor (default: the bundled one for the data, if any).")
    var extractor: String?
    @Option(help: "Folder of the IDX files, if not where the run found them.") var dataDir: String?
    @Flag(help: "Evaluate the trained generator's weights rather than their moving average (runs trained with --ema).")
    var rawWeights = false
    @Option(help: "Where to write the JSON report (default: eval.json in the run folder, or eval-NAME.json beside other checkpoints).")
    var out: String?

    func parsedMetrics() throws -> [MetricName] {
        try metrics.flatMap { $0.split(separator: ",") }.map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard let m = MetricName(rawValue: trimmed) else {
                throw ValidationError("unknown metric '\(trimmed)'; the metrics are \(MetricName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return m
        }
    }

    func validate() throws {
        _ = try parsedMetrics()
        func check(_ value: Int?, _ range: ClosedRange<Int>, _ name: String) throws {
            if let value, !range.contains(value) {
                throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
        }
        try check(count, 2...1_000_000, "--count")
        try check(repeats, 1...1000, "--repeats")
        try check(iwaeSamples, 1...1_000_000, "--iwae-samples")
        try check(kidSubsets, 1...10_000, "--kid-subsets")
        try check(kidSubsetSize, 2...1_000_000, "--kid-subset-size")
        try check(neighbours, 1...1000, "--neighbours")
    }

    func run() throws {
        let started = Date()
        let loaded = try load(source)
        if let text = loaded.model as? TextGenerating { return try evaluateText(text, loaded) }
        if let audio = loaded.model as? AudioGenerating { return try evaluateAudio(audio, loaded) }
        let weights = try chooseWeights(loaded.model, rawWeights: rawWeights)
        var data = loaded.data
        if let dataDir { data.directory = dataDir }
        let runData: RunData
        do { runData = try loaded.runData(directory: dataDir) } catch { throw RuntimeError("\(error)") }
        var chosen = try parsedMetrics()
        if chosen.isEmpty {
            chosen = try defaultMetrics(for: loaded.config)
            if chosen.isEmpty {
                throw RuntimeError("\(loaded.config.model) has no `deepgen eval` metric; its test metrics after every epoch are in the run's metrics.csv")
            }
            // Mode coverage needs discrete modes (ring8, grid25), not spiral, swiss-roll or two-moons.
            if chosen.contains(.modes), (try? modes(of: runData.train())) == nil {
                chosen.removeAll { $0 == .modes }
                if chosen.isEmpty { throw RuntimeError("\(data.spec) has no discrete modes to cover and \(loaded.config.model) has no other default metric") }
            }
        }
        let featureExtractor = try resolveExtractor(data: data, needed: chosen.contains(where: \.needsExtractor) || chosen.contains(.translation))
        var options = EvaluationOptions(metrics: chosen, count: count, seed: seed)
        options.repeats = repeats
        options.importanceSamples = iwaeSamples
        options.kidSubsets = kidSubsets
        options.kidSubsetSize = kidSubsetSize
        options.neighbours = neighbours
        options.reference = !noReference
        let results: EvaluationResults
        do {
            let evaluator = try ModelEvaluator(model: loaded.model, data: runData, extractor: featureExtractor)
            results = try evaluator.evaluate(options)
        } catch let e as RuntimeError { throw e } catch { throw RuntimeError("\(error)") }
        let report = EvaluationReport(checkpoint: loaded.checkpointURL.path, model: loaded.config.model, dataset: data.spec,
                                      epoch: loaded.epoch, extractor: featureExtractor?.source, count: count, seed: seed,
                                      seconds: Date().timeIntervalSince(started), weights: weights, results: results)
        try write(report, table: EvaluationTable(report: report, classNames: classNames(data.spec)).text, for: loaded)
    }

    /// Prints `table` and writes `report` as JSON where ``reportURL(_:)`` says (non-finite
    /// values as the strings "inf", "-inf", "nan").
    func write<Report: Encodable>(_ report: Report, table: String, for loaded: TrainedModel) throws {
        print(table)
        let url = reportURL(loaded)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(report).write(to: url, options: .atomic)
        print("wrote \(url.path)")
    }

    /// `--extractor`, else the bundled classifier of the data (nil when there is none and no
    /// metric needs one; an error naming the fix when one does).
    /// A text model's loss on the validation text and on the training text (`--no-reference` skips the latter).
    func evaluateText(_ model: any TextGenerating, _ loaded: TrainedModel) throws {
        if !metrics.isEmpty || extractor != nil || rawWeights || count != nil || iwaeSamples != nil {
            throw RuntimeError("\(loaded.config.model) is evaluated by its cross-entropy on the held-out text; --metrics, --count, --extractor, --iwae-samples and --raw-weights are for image and 2-D models")
        }
        let report: TextEvaluationReport
        do {
            let runData = try loaded.runData(directory: dataDir)
            report = try TextEvaluationReport.evaluate(model, data: runData, checkpoint: loaded.checkpointURL.path, epoch: loaded.epoch,
                                                       training: !noReference)
        } catch { throw RuntimeError("\(error)") }
        try write(report, table: report.table, for: loaded)
    }

    /// An audio model's exact test-set likelihood (and the training clips' as the reference row);
    /// with a classifier of the data (bundled for fsdd, or --extractor), generated clips judged by it.
    func evaluateAudio(_ model: any AudioGenerating, _ loaded: TrainedModel) throws {
        if !metrics.isEmpty || rawWeights || iwaeSamples != nil {
            throw RuntimeError("\(loaded.config.model) is evaluated by its exact likelihood of the test clips and a classifier of generated clips; --metrics, --iwae-samples and --raw-weights are for image and 2-D models")
        }
        if let count, count < 1 { throw RuntimeError("--count must be at least 1 generated clip per class, got \(count)") }
        let report: AudioEvaluationReport
        do {
            let runData = try loaded.runData(directory: dataDir)
            var classifier: FeatureExtractor?
            if let extractor {
                classifier = try FeatureExtractor.load(runOrCheckpoint: extractor)
            } else if FeatureExtractor.hasBundled(for: loaded.data.spec) {
                classifier = try FeatureExtractor.bundled(for: loaded.data.spec)
            } else {
                print("no classifier ships for \(loaded.data.spec): pass --extractor RUN (from `deepgen train classifier --data \(loaded.data.spec)`) to judge generated clips")
            }
            report = try AudioEvaluationReport.evaluate(model, data: runData, checkpoint: loaded.checkpointURL.path, epoch: loaded.epoch,
                                                        training: !noReference, extractor: classifier, perClass: count ?? 50, seed: seed) { line in
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        } catch let e as RuntimeError { throw e } catch { throw RuntimeError("\(error)") }
        try write(report, table: report.table, for: loaded)
    }

    func resolveExtractor(data: DataOptions, needed: Bool) throws -> FeatureExtractor? {
        if let extractor {
            do { return try FeatureExtractor.load(runOrCheckpoint: extractor) } catch { throw RuntimeError("\(error)") }
        }
        guard needed else { return nil }
        do { return try FeatureExtractor.bundled(for: data.spec) } catch { throw RuntimeError("\(error)") }
    }

    func reportURL(_ loaded: TrainedModel) -> URL {
        if let out { return URL(fileURLWithPath: out) }
        let name = loaded.checkpointURL.deletingPathExtension().lastPathComponent
        if let run = loaded.runURL {
            return run.appendingPathComponent(name == "latest" ? "eval.json" : "eval-\(name).json")
        }
        return loaded.checkpointURL.deletingLastPathComponent().appendingPathComponent("eval-\(name).json")
    }

    func classNames(_ spec: String) -> [String]? {
        guard let name = try? DatasetSpec(parsing: spec).name, name.hasPrefix("fashion") else { return nil }
        return FashionMNIST.classNames
    }
}
