import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenKernels
import DeepGenModels
import DeepGenTraining
import Foundation

extension ModelKind: ExpressibleByArgument {}
extension GANObjective: ExpressibleByArgument {}
extension VAELikelihood: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model, writing checkpoints, sample grids and metrics into a run folder.",
        discussion: """
        Examples:
          deepgen train dcgan --data shapes --epochs 1 --out runs/shapes-dcgan
          deepgen train vae --data fashion-mnist --epochs 10
          deepgen train cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 5
          deepgen train --resume runs/shapes-dcgan
        """)

    @Argument(help: "The model: \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: ModelKind?

    @Option(help: "The dataset (see `deepgen list`).")
    var data: String?
    @Option(help: "Folder of IDX files for MNIST-format sets, or of Fashion-MNIST if not installed where Debian puts it.")
    var dataDir: String?
    @Option(help: "Side images from folders are resized to.")
    var imageSize: Int = 64
    @Option(help: "Samples of the procedural and 2-D datasets.")
    var syntheticCount: Int = 60_000

    @Option(help: "Epochs (at a constant learning rate).") var epochs: Int?
    @Option(help: "Further epochs with the learning rate decaying linearly to zero (CycleGAN's schedule; works for every model).") var decayEpochs: Int?
    @Option(help: "Batch size.") var batchSize: Int?
    @Option(help: "Learning rate.") var lr: Double?
    @Option(help: "Adam β₁.") var beta1: Double?
    @Option(help: "Adam β₂.") var beta2: Double?
    @Option(help: "Seed of everything random in the run.") var seed: UInt64 = 0
    @Option(help: "Latent size.") var latentSize: Int?
    @Option(help: "Base channel count (DCGAN, CycleGAN, conv VAE).") var width: Int?
    @Option(help: "Hidden width: the MLP VAE's hidden layer, or the three hidden layers of a GAN on 2-D points.") var hiddenSize: Int?
    @Option(help: "GAN objective: non-saturating, minimax, lsgan, wasserstein.") var objective: GANObjective?
    @Option(help: "Critic steps per generator step (WGAN-GP).") var criticSteps: Int?
    @Option(help: "Gradient penalty weight λ (WGAN-GP).") var gradientPenalty: Float?
    @Option(name: .customLong("r1"), help: "R1 penalty weight γ on the discriminator's real-data gradients (gan, dcgan, cdcgan).") var r1: Float?
    @Option(help: "VAE pixel likelihood: bernoulli or gaussian.") var likelihood: VAELikelihood?
    @Option(help: "β, the weight of the VAE's KL term.") var klWeight: Float?
    @Option(help: "Every this many epochs, log FID and KID (images) or mode coverage (ring8, grid25) to metrics.csv and TensorBoard.")
    var evalEvery: Int?
    @Option(help: "Generated samples and test images --eval-every compares.") var evalCount: Int = 2000
    @Option(help: "Classifier run folder or checkpoint for --eval-every's features (default: the bundled one for the data).")
    var extractor: String?
    @Flag(help: "VAE: train on pixels binarized afresh each batch (dynamic binarization); the test set is binarized with a fixed seed.") var binarize = false
    @Option(help: "Residual blocks of CycleGAN's generators.") var residualBlocks: Int?
    @Option(help: "Cycle-consistency weight λ (CycleGAN).") var cycleWeight: Float?

    @Option(help: "Run folder (default runs/<model>-<dataset>).") var out: String?
    @Option(help: "Continue the run in this folder from its latest checkpoint.") var resume: String?
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?
    @Option(help: "Stop after this many steps with a checkpoint (a smoke test).") var maxSteps: Int?

    func validate() throws {
        if resume != nil {
            if model != nil || data != nil { throw ValidationError("--resume continues a run as configured; do not give a model or --data with it") }
            let fixed: [(String, Any?)] = [("--decay-epochs", decayEpochs), ("--batch-size", batchSize), ("--lr", lr), ("--beta1", beta1),
                                           ("--beta2", beta2), ("--latent-size", latentSize), ("--width", width), ("--hidden-size", hiddenSize),
                                           ("--objective", objective),
                                           ("--critic-steps", criticSteps), ("--gradient-penalty", gradientPenalty), ("--r1", r1), ("--likelihood", likelihood),
                                           ("--kl-weight", klWeight), ("--residual-blocks", residualBlocks), ("--cycle-weight", cycleWeight),
                                           ("--out", out), ("--data-dir", dataDir), ("--eval-every", evalEvery), ("--extractor", extractor)]
            if let (name, _) = fixed.first(where: { $0.1 != nil }) {
                throw ValidationError("\(name) cannot change when resuming (only --epochs, --threads and --max-steps can)")
            }
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
            return
        }
        guard model != nil else { throw ValidationError("name a model to train (see `deepgen list`), or --resume RUN_DIR") }
        guard data != nil else { throw ValidationError("--data is required (see `deepgen list` for datasets)") }
        for (name, value) in [("--epochs", epochs), ("--batch-size", batchSize), ("--latent-size", latentSize), ("--width", width),
                              ("--hidden-size", hiddenSize), ("--critic-steps", criticSteps), ("--threads", threads), ("--max-steps", maxSteps)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if let evalEvery, evalEvery < 1 { throw ValidationError("--eval-every must be at least 1, got \(evalEvery)") }
        if evalCount < 2 { throw ValidationError("--eval-count must be at least 2, got \(evalCount)") }
        if extractor != nil && evalEvery == nil { throw ValidationError("--extractor is for --eval-every (deepgen eval takes its own)") }
        if let decayEpochs, decayEpochs < 0 { throw ValidationError("--decay-epochs cannot be negative") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
        if imageSize < 8 { throw ValidationError("--image-size must be at least 8") }
        if syntheticCount < 1 { throw ValidationError("--synthetic-count must be at least 1") }
    }

    func run() throws {
        // Line-buffered stdout so messages and the progress lines (written unbuffered) stay in order.
        setvbuf(stdout, nil, _IOLBF, 0)
        if let threads { Parallel.threadCount = threads }
        StopRequest.install()
        let trainer: Trainer
        do {
            if let resume {
                let url = URL(fileURLWithPath: resume)
                if let epochs {
                    // Extending (or shortening) a run: the new total is recorded in config.json.
                    let run = RunDirectory(url)
                    var config = try run.readConfig()
                    config.model.epochs = epochs
                    try run.writeConfig(config)
                }
                trainer = try Trainer(resuming: url)
                if threads == nil { Parallel.threadCount = trainer.config.threads }
                print("resuming \(resume) at epoch \(trainer.loader.state.epoch + 1), step \(trainer.loader.state.step + 1)")
            } else {
                let config = try makeConfig()
                let folder = out ?? "runs/\(config.model.model.rawValue)-\(config.data.spec.replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "/", with: "_"))"
                trainer = try Trainer(newRun: config, in: URL(fileURLWithPath: folder))
                print("training \(config.model.model.rawValue) on \(config.data.spec) into \(folder) (\(trainer.loader.batchesPerEpoch) steps per epoch, \(Parallel.threadCount) threads)")
            }
        } catch {
            throw RuntimeError("\(error)")
        }
        trainer.stopAfterSteps = maxSteps
        let outcome: TrainingOutcome
        do { outcome = try trainer.run(progress: ProgressReporter()) } catch let error as TrainingError {
            print("error: \(error)")
            throw ExitCode(2)
        }
        if outcome == .finished {
            print("finished: \(trainer.run.latestCheckpointURL.path), samples in \(trainer.run.samplesURL.path)")
        }
    }

    func makeConfig() throws -> RunConfig {
        guard let model, let data else { throw RuntimeError("model and --data are required") }
        let options = DataOptions(spec: data, directory: dataDir, imageSize: imageSize, syntheticCount: syntheticCount)
        let dataset = try DatasetCatalog.make(options, for: model, seed: seed)
        var c = ModelConfig.defaults(for: model, dataset: data, sampleShape: DatasetCatalog.modelSampleShape(of: dataset))
        c.seed = seed
        if let epochs { c.epochs = epochs }
        if let decayEpochs { c.decayEpochs = decayEpochs }
        if let batchSize { c.batchSize = batchSize }
        if let lr { c.learningRate = lr }
        if let beta1 { c.beta1 = beta1 }
        if let beta2 { c.beta2 = beta2 }
        if let latentSize { c.latentSize = latentSize }
        if let hiddenSize { c.hiddenSize = hiddenSize }
        if let width { c.width = width }
        if let objective { c.objective = objective }
        if let criticSteps { c.criticSteps = criticSteps }
        if let gradientPenalty { c.gradientPenaltyWeight = gradientPenalty }
        if let r1 { c.r1Weight = r1 }
        if let likelihood { c.likelihood = likelihood }
        if let klWeight { c.klWeight = klWeight }
        if binarize { c.binarize = true }
        if let residualBlocks { c.residualBlocks = residualBlocks }
        if let cycleWeight { c.cycleWeight = cycleWeight }
        if c.sampleShape.count == 1 && (model == .gan || model == .wganGP) {
            let rms = try dataset.rootMeanSquare()
            guard rms > 0, rms.isFinite else { throw RuntimeError("the 2-D data has no spread (root-mean-square \(rms))") }
            c.dataScale = rms
        }
        if model == .conditionalDCGAN || model == .classifier {
            guard let classes = dataset.classLabels, let last = classes.last else {
                throw RuntimeError("\(model.rawValue) needs a dataset with class labels (shapes, fashion-mnist, an IDX set); \(options.spec) has none")
            }
            c.classCount = last + 1
            c.classes = classes == Array(0..<c.classCount) ? nil : classes
        }
        do { try c.validate() } catch { throw RuntimeError("\(error)") }
        if dataset.count < c.batchSize {
            throw RuntimeError("the dataset has \(dataset.count) samples, fewer than one batch of \(c.batchSize)")
        }
        return RunConfig(model: c, data: options, threads: Parallel.threadCount,
                         evaluation: evalEvery.map { EvaluationSchedule(every: $0, count: evalCount, extractor: extractor) })
    }
}
