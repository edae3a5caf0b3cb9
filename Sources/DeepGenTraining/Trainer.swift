import DeepGen
import DeepGenData
import DeepGenKernels
import DeepGenMetrics
import DeepGenModels
import DeepGenOptimizers
import Foundation

/// How a call to ``Trainer/run(progress:)`` ended.
public enum TrainingOutcome: Equatable {
    /// Every epoch ran; the final checkpoint is written.
    case finished
    /// Stopped on request (Ctrl-C) or at `stopAfterSteps`, with a checkpoint to resume from.
    case stopped(epoch: Int, step: Int)
}

/// Runs a model's training over a dataset into a run folder: epochs of batches, a checkpoint and a
/// sample grid after every epoch, metrics and TensorBoard scalars after every step, exact
/// resumption from the latest checkpoint.
public final class Trainer {
    public let run: RunDirectory
    public let config: RunConfig
    public let model: any GenerativeModel
    /// The run's data: the training split, and the test split the per-epoch metrics use.
    public let data: RunData
    public let loader: DataLoader
    /// Draws everything random in training steps (noise, penalties' α, image-pool choices).
    public private(set) var rng: RandomGenerator
    /// Steps completed over the whole run.
    public private(set) var globalStep = 0
    /// Stop (with a checkpoint) after this many steps of this call; for tests and smoke runs.
    public var stopAfterSteps: Int?
    /// What resuming had to work around (a corrupt latest checkpoint, a missing config.json), for the user.
    public private(set) var notes: [String] = []
    /// `--sync-batchnorm`'s sum over the processes, live during each training step.
    var batchStatistics: BatchStatisticsSum?
    /// The last checkpoint written or resumed from, with its step; `nil` before the first.
    public private(set) var lastCheckpoint: (url: URL, step: Int)?
    private let metrics: MetricsLog
    private let events: TensorBoardWriter
    /// Computes the scheduled metrics (`RunConfig.evaluation`).
    private let evaluator: ModelEvaluator?
    /// Fails writes on purpose, for tests of full disks and permissions: called with each file
    /// before it is written.
    var failWrite: ((URL) throws -> Void)?
    /// The data-parallel run this trainer is one process of (`mpirun`); `nil` when it trains alone.
    public let group: MPICommunicator?
    /// Whether this process writes the run (checkpoints, samples, evaluations): rank 0, or a
    /// trainer alone. The others train in a scratch folder.
    public var isPrimary: Bool { (group?.rank ?? 0) == 0 }
    /// The processes that trained the checkpoint this trainer resumed from (1 for a new run).
    public private(set) var checkpointProcesses = 1

    static let stepKey = CheckpointKey.step
    static let loaderKey = "deepgen.loader"
    static let rngKey = CheckpointKey.randomGenerator
    /// The run's ``DataOptions`` in every checkpoint's metadata.
    public static let dataKey = "deepgen.data"
    /// The whole ``RunConfig`` in every checkpoint's metadata: what resuming rebuilds the run from.
    public static let runConfigKey = "deepgen.run_config"
    /// The kernel thread count that wrote the checkpoint.
    public static let threadsKey = "deepgen.threads"
    /// The processes of the data-parallel run that wrote the checkpoint (absent: one).
    public static let processesKey = "deepgen.processes"

    /// Starts a new run in `runDirectory`; `data`, when given, is the run's data built already
    /// (``RunConfig/newRun(_:model:data:seed:threads:evaluation:customize:)``). A folder that holds
    /// a run is refused unless that run never wrote a checkpoint (it stopped or diverged before
    /// its first), which is then replaced.
    public convenience init(newRun config: RunConfig, data: RunData? = nil, in runDirectory: URL, group: MPICommunicator? = nil) throws {
        try config.model.validate(newRun: true)
        let run = RunDirectory(runDirectory)
        let data = try data ?? RunData(for: config.model, options: config.data)
        let folderExisted = FileManager.default.fileExists(atPath: run.url.path)
        let replaced: Bool
        do {
            replaced = try run.createForNewRun()
            try run.writeConfig(config)
        } catch let error as TrainingError {
            throw error
        } catch {
            run.removeUnstartedRun(removeFolder: !folderExisted)
            throw Self.cannotWrite(run.configURL, error, kept: nil)
        }
        do {
            try self.init(run: run, config: config, data: data, checkpoint: nil, group: group)
        } catch {
            // Nothing was trained: leave no half-made run behind (a later `train` would refuse the folder).
            run.removeUnstartedRun(removeFolder: !folderExisted)
            throw error
        }
        if replaced { notes.append("replaced the run in \(run.url.path), which had not written a checkpoint (its files are in .replaced-…)") }
    }

    /// Continues the run in `runDirectory` from its latest checkpoint, rebuilt from the
    /// configuration the checkpoint holds (a `config.json` that disagrees is reported field by
    /// field). A latest checkpoint that cannot be used gives way to the newest `epoch-NNN` that
    /// can (``notes`` says so). `epochs` replaces the run's constant-rate epochs. Nothing in the
    /// folder changes until the checkpoint has loaded.
    public convenience init(resuming runDirectory: URL, epochs: Int? = nil, group: MPICommunicator? = nil) throws {
        let run = RunDirectory(runDirectory)
        try RunLock.checkFree(run)
        let point = try ResumePoint(run)
        var config = point.config
        if let epochs {
            if let steps = config.model.training.steps {
                throw TrainingError.invalidConfiguration("the run counts steps (--total-steps \(steps)), not epochs: --epochs cannot extend it")
            }
            config.model.training.epochs = epochs
            do { try config.model.training.validate() } catch { throw TrainingError.invalidConfiguration("\(error)") }
            // A shorter run may end where it stands, not before it.
            let at = try ResumePoint.position(of: point.checkpoint).loader, total = config.model.training.totalEpochs
            if total < at.epoch || (total == at.epoch && at.step > 0) {
                throw TrainingError.invalidConfiguration("--epochs \(epochs) would end the run before where it stands (epoch \(at.epoch + 1)\(at.step > 0 ? ", step \(at.step + 1)" : "")); it can be extended, not cut short")
            }
        }
        try self.init(run: run, config: config, data: RunData(for: config.model, options: config.data), checkpoint: point.checkpoint, group: group)
        lastCheckpoint = (point.url, globalStep)
        notes = point.notes + notes
        run.removeStaleTemporaryFiles()
        if (try? run.readConfig()) != config {
            do { try run.writeConfig(config) } catch { throw cannotWrite(run.configURL, error) }
        }
    }

    /// A process of a data-parallel run other than rank 0: the run as `state` holds it (rank 0's
    /// ``stateCheckpoint()``), trained in `scratch`, where nothing is kept.
    public convenience init(worker group: MPICommunicator, state: Checkpoint, scratch: URL) throws {
        guard let config = try state.metadataValue(RunConfig.self, forKey: Self.runConfigKey) else {
            throw TrainingError.distributed("rank 0 sent a state without the run's configuration")
        }
        let run = RunDirectory(scratch)
        do { _ = try run.createForNewRun() } catch { throw Self.cannotWrite(scratch, error, kept: nil) }
        try self.init(run: run, config: config, data: RunData(for: config.model, options: config.data), checkpoint: state, group: group)
    }

    init(run: RunDirectory, config: RunConfig, data: RunData, checkpoint: Checkpoint?, group: MPICommunicator?) throws {
        self.run = run
        self.group = group
        self.config = config
        self.data = data
        let train = try data.loadedTrain()
        // The data must still be what the model was made for (a dataset's files can change).
        let made = config.model.data, found = train.description
        guard found.kind == made.kind, found.shape == made.shape, found.range == made.range, found.domains == made.domains,
              made.classLabels == nil || found.classLabels == made.classLabels else {
            throw TrainingError.invalidConfiguration("\(config.data.spec) gives \(found.kind.noun) of shape \(found.shape)\(found.classLabels.map { " labelled \($0)" } ?? ""); the model was made for \(made.kind.noun) of shape \(made.shape)\(made.classLabels.map { " labelled \($0)" } ?? "")")
        }
        // Audio previews are WAV files: without libsndfile an epoch's work would be lost at its end.
        if made.kind == .audio, let reason = AudioFile.unavailableReason {
            throw TrainingError.invalidConfiguration("\(config.model.model) writes its samples as WAV files, and \(reason)")
        }
        if let rate = made.sampleRate, found.sampleRate != rate {
            throw TrainingError.invalidConfiguration("\(config.data.spec) gives audio at \(found.sampleRate.map { "\($0) Hz" } ?? "no sample rate"); the model was trained at \(rate) Hz")
        }
        if let vocabulary = made.vocabulary, found.vocabulary != vocabulary {
            throw TrainingError.invalidConfiguration("\(config.data.spec) has changed: its characters are not the \(vocabulary.unicodeScalars.count) the model was trained on (ids would mean other characters)")
        }
        model = try makeModel(config.model)
        // Speakers index a table of a model conditioned on them: they must mean the same people.
        if (model as? AudioGenerating)?.speakerNames != nil, let speakers = made.speakerNames, found.speakerNames != speakers {
            throw TrainingError.invalidConfiguration("\(config.data.spec) has changed: its speakers are not the \(speakers.count) the model was trained on (\(speakers.prefix(4).joined(separator: ", "))\(speakers.count > 4 ? ", …" : ""))")
        }
        try model.prepare(trainingData: train.dataset)
        let seed = config.model.training.seed
        rng = RandomGenerator(seed: SeedMixer.mix(seed, 0x7124_1A))
        var loaderState = LoaderState(seed: SeedMixer.mix(seed, 0x10AD))
        if let checkpoint {
            try model.restore(from: checkpoint)
            let position = try ResumePoint.position(of: checkpoint)
            globalStep = position.step
            loaderState = position.loader
            checkpointProcesses = (try? checkpoint.metadataValue(Int.self, forKey: Self.processesKey)) ?? 1
            rng = position.rng
        }
        let shard = group.map { DataLoader.Shard(index: $0.rank, count: $0.size) } ?? .whole
        do {
            loader = try DataLoader(dataset: train.dataset, batchSize: config.model.training.batchSize, shuffle: true, dropLast: true,
                                    prefetch: true, state: loaderState, shard: shard)
        } catch let error as DataError where shard.count > 1 {
            throw TrainingError.invalidConfiguration("--batch-size \(config.model.training.batchSize) is the global batch of \(shard.count) processes: \(error)")
        }
        try checkPerProcessBatch(model.networks, settings: config.model.training, processes: group?.size ?? 1)
        let syncBatchNorm = config.model.training.syncBatchNorm == true
        if let group {
            makeDataParallelReplica(model.networks, in: group)
            let sum = BatchStatisticsSum(group)
            let reached = sum.synchronize(model.networks, batchNorm: syncBatchNorm)
            if reached.normalizations + reached.always > 0 { batchStatistics = sum }
            if syncBatchNorm && reached.normalizations == 0 {
                notes.append("--sync-batchnorm: \(config.model.model) has no BatchNorm layers; nothing is synchronized")
            }
        } else if syncBatchNorm {
            notes.append("--sync-batchnorm synchronizes the processes of a data-parallel run; one process alone trains as without it")
        }
        var columns = model.lossNames + ["learning_rate", "images_per_second"]
        columns += (model as? TestSetEvaluating)?.testMetricColumns ?? []
        // Only rank 0 evaluates: the others need not reach the extractor's files.
        if let schedule = config.evaluation, (group?.rank ?? 0) == 0 {
            guard schedule.every >= 1, schedule.count >= 2 else {
                throw TrainingError.invalidConfiguration("evaluation every \(schedule.every) epochs on \(schedule.count) samples: both must be positive (count at least 2)")
            }
            guard model is PriorSampling else {
                throw TrainingError.invalidConfiguration("--eval-every logs FID/KID of generated images or 2-D mode coverage; \(config.model.model) does not sample from noise (use `deepgen eval`)")
            }
            if config.model.data.kind == .points {
                guard modes(of: train.dataset) != nil else {
                    throw TrainingError.invalidConfiguration("--eval-every on 2-D data measures mode coverage, which needs ring8 or grid25; the data is \(config.data.spec)")
                }
                evaluator = try ModelEvaluator(model: model, data: data, extractor: nil)
                columns += ["modes_covered", "high_quality"]
            } else {
                let extractor = try schedule.extractor.map { try FeatureExtractor.load(runOrCheckpoint: $0) } ?? FeatureExtractor.bundled(for: config.data.spec)
                evaluator = try ModelEvaluator(model: model, data: data, extractor: extractor)
                columns += ["fid", "kid"]
            }
        } else {
            evaluator = nil
        }
        let resumedStep = checkpoint == nil ? nil : globalStep
        do {
            metrics = try MetricsLog(url: run.metricsURL, columns: columns, truncateAfterStep: resumedStep)
        } catch let error as TrainingError { throw error } catch { throw Self.cannotWrite(run.metricsURL, error, kept: nil) }
        // Events past the checkpoint's step were superseded: TensorBoard drops them when it reads this marker.
        do {
            events = try TensorBoardWriter(directory: run.url, purgeFromStep: resumedStep.map { $0 + 1 })
        } catch { throw Self.cannotWrite(run.url.appendingPathComponent("events.out.tfevents.…"), error, kept: nil) }
    }

    /// All epochs of the run: constant-rate ones, then any linear-decay ones; for a run counted
    /// in steps, the epochs its steps reach into.
    public var totalEpochs: Int {
        if let steps = config.model.training.steps { return (steps + loader.batchesPerEpoch - 1) / loader.batchesPerEpoch }
        return config.model.training.totalEpochs
    }

    /// Whether a run counted in steps has taken them all.
    var stepsDone: Bool { config.model.training.steps.map { globalStep >= $0 } ?? false }

    /// The learning rate of `epoch` (constant, or CycleGAN's linear decay).
    public func learningRate(epoch: Int) -> Double { config.model.training.learningRate(epoch: epoch) }

    /// Trains until the last epoch, a stop request (Ctrl-C) or `stopAfterSteps`.
    /// - Throws: ``TrainingError/diverged(_:)`` when a loss, gradient or weight turns NaN or
    ///   infinite (the checkpoint on disk is then the last good one), ``TrainingError/cannotWrite(_:)``
    ///   when a file of the run cannot be written.
    public func run(progress: ProgressReporter? = nil) throws -> TrainingOutcome {
        if config.model.data.kind == .audio { progress?.rateUnit = ("samples", config.model.data.shape.reduce(1, *)) }
        // No second process (or trainer) trains in the folder meanwhile.
        let lock = try RunLock(run)
        defer { withExtendedLifetime(lock) {} }
        var stepsThisCall = 0
        let stepwise = model as? StepwiseLearningRate
        while loader.state.epoch < totalEpochs && !stepsDone {
            let epoch = loader.state.epoch
            var lr = learningRate(epoch: epoch)
            model.setLearningRate(lr)
            let stepsPerEpoch = loader.batchesPerEpoch
            var windowStart = Date(), windowImages = 0, rate: Float = 0
            while !stepsDone, let batch = try loader.next() {
                if let stepwise {
                    lr = stepwise.learningRate(step: globalStep, base: learningRate(epoch: epoch))
                    model.setLearningRate(lr)
                }
                var losses: [String: Float]
                var stopRequested: Bool
                if let group {
                    // Every process steps the run's generator alike, drawing its share's rows of
                    // the noise one process draws for the global batch (latents, interpolation
                    // weights, dequantization), so the run is one process's with that batch.
                    rng.batchShare = BatchShare(index: group.rank, count: group.size)
                    batchStatistics?.isActive = true
                    losses = model.trainStep(trainingBatch(batch), using: &rng)
                    batchStatistics?.isActive = false
                    rng.batchShare = nil
                    (losses, stopRequested) = try agree(on: losses, stop: StopRequest.isRequested, in: group)
                } else {
                    losses = model.trainStep(trainingBatch(batch), using: &rng)
                    stopRequested = StopRequest.isRequested
                }
                globalStep += 1
                stepsThisCall += 1
                if let what = model.networks.lazy.compactMap(\.divergence).first {
                    throw diverged(what, epoch: epoch)
                }
                for name in model.lossNames {
                    if let v = losses[name], !v.isFinite {
                        let source = (model as? DivergenceExplaining)?.nonFiniteSource.map { " (\($0))" } ?? ""
                        throw diverged("\(name) is \(v)\(source)", epoch: epoch)
                    }
                }
                windowImages += batch.count * (group?.size ?? 1)
                let elapsed = Date().timeIntervalSince(windowStart)
                if elapsed >= 1 { rate = Float(Double(windowImages) / elapsed); windowImages = 0; windowStart = Date() }
                var row = losses
                row["learning_rate"] = Float(lr)
                row["images_per_second"] = rate > 0 ? rate : nil
                try writing(run.metricsURL) { try metrics.append(step: globalStep, epoch: epoch, values: row) }
                try writing(events.url) {
                    try events.addScalars(model.lossNames.compactMap { n in losses[n].map { ("loss/\(n)", $0) } } + [("learning_rate", Float(lr))],
                                          step: globalStep)
                }
                progress?.step(epoch: epoch, epochs: totalEpochs, step: batch.step, stepsPerEpoch: stepsPerEpoch, images: batch.count,
                               losses: model.lossNames.prefix(3).compactMap { n in losses[n].map { (n, $0) } })
                // The run's last step ends its epoch below instead (its epoch file, sample and metrics).
                if !stepsDone && (stopRequested || (stopAfterSteps.map { stepsThisCall >= $0 } ?? false)) {
                    if isPrimary { try saveCheckpoint(epochFile: nil) }
                    try writing(events.url) { try events.flush() }
                    progress?.message("stopped at epoch \(epoch + 1), step \(batch.step + 1); resume with \(group.map { "mpirun -np \($0.size) " } ?? "")deepgen train --resume \(run.url.path)")
                    return .stopped(epoch: epoch, step: batch.step + 1)
                }
            }
            // Before anything of the epoch is written: an update can overflow with a finite gradient.
            try checkFinite(epoch: epoch)
            if let group { try verifyReplicas(in: group, epoch: epoch) }
            // The other processes go on to the next epoch and wait for rank 0 in its first step.
            guard isPrimary else { continue }
            try writeSamples(epoch: epoch + 1)
            if let evaluator, let schedule = config.evaluation, (epoch + 1) % schedule.every == 0 || epoch + 1 == totalEpochs {
                try evaluate(evaluator, count: schedule.count, epoch: epoch, progress: progress)
            }
            if let scored = model as? TestSetEvaluating {
                for m in try scored.evaluateTestSet(data.test()) {
                    try writing(run.metricsURL) { try metrics.append(step: globalStep, epoch: epoch, values: [m.column: m.value]) }
                    try writing(events.url) { try events.addScalars([(m.tag, m.value)], step: globalStep) }
                    if !m.message.isEmpty { progress?.message("epoch \(epoch + 1): \(m.message)") }
                }
            }
            try saveCheckpoint(epochFile: epoch + 1)
            try writing(events.url) { try events.flush() }
        }
        return .finished
    }

    /// The mean of every process's losses, and whether any process was asked to stop (Ctrl-C),
    /// so that all stop after the same step. A NaN on one process becomes every process's.
    func agree(on losses: [String: Float], stop: Bool, in group: MPICommunicator) throws -> ([String: Float], Bool) {
        let failure = model.networks.lazy.compactMap(\.reductionFailure).first
        var values = [stop ? 1 : 0, failure == nil ? 0 : 1] + model.lossNames.map { Double(losses[$0] ?? 0) }
        do { try group.sum(&values) } catch {
            throw TrainingError.distributed("rank \(group.rank) lost the other processes of the run at step \(globalStep + 1): \(failure ?? "\(error)")")
        }
        if values[1] > 0 {
            throw TrainingError.distributed("rank \(group.rank): \(failure ?? "another process could not combine its gradients") at step \(globalStep + 1)")
        }
        var mean = losses
        for (i, name) in model.lossNames.enumerated() where losses[name] != nil { mean[name] = Float(values[2 + i] / Double(group.size)) }
        return (mean, values[0] > 0)
    }

    /// Writes the latest checkpoint (and, at an epoch's end, `epoch-NNN` first), atomically.
    /// - Throws: ``TrainingError/diverged(_:)`` when a weight or optimizer state is not finite
    ///   (nothing is written then), ``TrainingError/cannotWrite(_:)`` when a file cannot be
    ///   written (the previous latest checkpoint is intact).
    public func saveCheckpoint(epochFile: Int?) throws {
        let c = try stateCheckpoint(epochFile: epochFile)
        // The epoch file first: if the disk fills up, the latest checkpoint is still the previous one.
        var files = [run.latestCheckpointURL]
        if let epochFile { files.insert(run.epochCheckpointURL(epochFile), at: 0) }
        for url in files {
            do {
                try failWrite?(url)
                try c.save(to: url)
            } catch {
                throw cannotWrite(url, error)
            }
        }
        lastCheckpoint = (run.latestCheckpointURL, globalStep)
    }

    /// Everything resuming needs: the model's state, the step, the loader's position, the random
    /// generator and the run's configuration (what a checkpoint file holds).
    /// - Throws: ``TrainingError/diverged(_:)`` when a weight or optimizer state is not finite.
    public func stateCheckpoint(epochFile: Int? = nil) throws -> Checkpoint {
        var c = try model.checkpoint()
        try checkFinite(c, epoch: epochFile.map { $0 - 1 } ?? loader.state.epoch)
        try c.setMetadataValue(globalStep, forKey: Self.stepKey)
        try c.setMetadataValue(loader.state, forKey: Self.loaderKey)
        // A run counted in steps ends inside its last epoch, which still counts as done.
        try c.setMetadataValue(epochFile ?? loader.state.epoch, forKey: CheckpointKey.epoch)
        try c.setMetadataValue(rng, forKey: Self.rngKey)
        try c.setMetadataValue(config.data, forKey: Self.dataKey)
        try c.setMetadataValue(config, forKey: Self.runConfigKey)
        try c.setMetadataValue(Parallel.threadCount, forKey: Self.threadsKey)
        if let group { try c.setMetadataValue(group.size, forKey: Self.processesKey) }
        return c
    }

    /// Stops with a divergence when a weight, buffer or optimizer state of `checkpoint` (the
    /// model's, by default) is NaN or infinite. Extra state may hold NaN as "none yet" (the GAN's
    /// last generator loss).
    func checkFinite(_ checkpoint: Checkpoint? = nil, epoch: Int) throws {
        let c = try checkpoint ?? model.checkpoint()
        if let name = c.tensors.keys.sorted().first(where: { !$0.hasPrefix("extra.") && !c.tensors[$0]!.isFinite }) {
            throw diverged("\(name) holds non-finite values", epoch: epoch)
        }
    }

    /// Runs a write to `url`, turning its failure into a message that says what is intact.
    func writing(_ url: URL, _ body: () throws -> Void) throws {
        do {
            try failWrite?(url)
            try body()
        } catch let e as TrainingError {
            throw e
        } catch {
            throw cannotWrite(url, error)
        }
    }

    func cannotWrite(_ url: URL, _ error: any Error) -> TrainingError {
        Self.cannotWrite(url, error, kept: lastCheckpoint?.url)
    }

    static func cannotWrite(_ url: URL, _ error: any Error, kept: URL?) -> TrainingError {
        let reason = posixReason(error) ?? "\(error)"
        return .cannotWrite("cannot write \(url.path): \(reason). Training stopped; "
            + (kept.map { "the last checkpoint, \($0.path), is intact." } ?? "no checkpoint had been written yet."))
    }

    /// The system's words for a file error ("No space left on device"), however Foundation wraps it.
    static func posixReason(_ error: any Error) -> String? {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error { return posixReason(underlying) }
        return nil
    }

    func diverged(_ what: String, epoch: Int) -> TrainingError {
        .diverged(Divergence(what: what, step: globalStep, epoch: epoch, run: run.url.path,
                             kept: lastCheckpoint.map { ($0.url.path, $0.step) }, restart: config.command?.joined(separator: " ")))
    }

    /// The model's preview after an epoch: `samples/epoch-NNN.png` (nothing for a model without one).
    public func writeSamples(epoch: Int) throws {
        let png: [UInt8]
        switch model.preview() {
        case .none:
            return
        case .file(let bytes, let fileExtension):
            let url = run.sampleURL(epoch, fileExtension: fileExtension)
            try writing(url) {
                try FileManager.default.createDirectory(at: run.samplesURL, withIntermediateDirectories: true)
                try bytes.write(to: url, options: .atomic)
            }
            if fileExtension == "txt" {
                try writing(events.url) { try events.addText(tag: "samples", text: String(decoding: bytes, as: UTF8.self), step: globalStep) }
            }
            return
        case .audio(let clips, let sampleRate, let labels):
            try writeAudioPreview(clips, sampleRate: sampleRate, labels: labels, epoch: epoch)
            return
        case .points(let samples):
            // 2-D data: real points in grey under generated ones in blue.
            let reference = try firstSamples(of: data.train(), count: 2000)
            let plot = ScatterPlot(extent: ScatterPlot.extent(of: reference))
            png = try plot.png([(reference, (190, 190, 190)), (samples, (31, 90, 200))])
        case .images(let samples, let columns):
            let upscale = config.model.sampleShape[1] <= 32 ? 2 : 1
            let grid = try ImageGrid(samples, nrow: columns, padding: 2, range: config.model.data.range ?? .minusOneToOne, upscale: upscale)
            png = try grid.pngData()
            try writing(events.url) {
                try events.addImage(tag: "samples", png: png, height: grid.height, width: grid.width, channels: grid.channels, step: globalStep)
            }
        }
        try writing(run.sampleURL(epoch)) {
            try FileManager.default.createDirectory(at: run.samplesURL, withIntermediateDirectories: true)
            try Data(png).write(to: run.sampleURL(epoch), options: .atomic)
        }
    }

    /// Audio previews: `samples/epoch-NNN-K.wav` per clip, `samples/epoch-NNN.png` their
    /// spectrograms, and both in TensorBoard (audio dashboard and image).
    func writeAudioPreview(_ clips: [[Float]], sampleRate: Int, labels: [String], epoch: Int) throws {
        try writing(run.samplesURL) { try FileManager.default.createDirectory(at: run.samplesURL, withIntermediateDirectories: true) }
        for (k, clip) in clips.enumerated() {
            let url = run.sampleURL(epoch, fileExtension: "wav", index: k)
            let wav = try AudioFile.wavData(clip, sampleRate: sampleRate)
            try writing(url) { try wav.write(to: url, options: .atomic) }
            let tag = (k < labels.count ? labels[k] : nil).map { $0.isEmpty ? "samples/\(k)" : "samples/\(k)-\($0)" } ?? "samples/\(k)"
            try writing(events.url) { try events.addAudio(tag: tag, wav: Array(wav), sampleRate: sampleRate, frames: clip.count, step: globalStep) }
        }
        let grid = try Spectrogram.gridPNG(clips)
        try writing(run.sampleURL(epoch)) { try Data(grid.png).write(to: run.sampleURL(epoch), options: .atomic) }
        try writing(events.url) { try events.addImage(tag: "spectrograms", png: grid.png, height: grid.height, width: grid.width, channels: grid.channels, step: globalStep) }
    }

    /// The scheduled metrics on a fixed noise seed, logged as the epoch's last row.
    func evaluate(_ evaluator: ModelEvaluator, count: Int, epoch: Int, progress: ProgressReporter?) throws {
        if config.model.data.kind == .points {
            var options = EvaluationOptions(metrics: [.modes], count: count, seed: 0)
            options.repeats = 1
            guard let modes = try evaluator.evaluate(options).modes?.perSeed.first else { return }
            let values: [String: Float] = ["modes_covered": Float(modes.modesCovered), "high_quality": Float(modes.highQualityFraction)]
            try writing(run.metricsURL) { try metrics.append(step: globalStep, epoch: epoch, values: values) }
            try writing(events.url) {
                try events.addScalars([("eval/modes_covered", values["modes_covered"]!), ("eval/high_quality", values["high_quality"]!)], step: globalStep)
            }
            progress?.message(String(format: "epoch %d: %d of %d modes covered, %.1f%% high-quality samples (%d samples)",
                                     epoch + 1, modes.modesCovered, modes.modeCount, 100 * modes.highQualityFraction, count))
            return
        }
        var options = EvaluationOptions(metrics: [.fid, .kid], count: count, seed: 0)
        options.reference = false
        options.kidSubsetSize = min(1000, count)
        options.kidSubsets = 50
        let results = try evaluator.evaluate(options)
        guard let fid = results.fid, let kid = results.kid else { return }
        try writing(run.metricsURL) { try metrics.append(step: globalStep, epoch: epoch, values: ["fid": Float(fid), "kid": Float(kid.mean)]) }
        try writing(events.url) { try events.addScalars([("eval/fid", Float(fid)), ("eval/kid", Float(kid.mean))], step: globalStep) }
        progress?.message(String(format: "epoch %d: FID %.2f, KID×10³ %.3f (%d samples)", epoch + 1, fid, 1000 * kid.mean, count))
    }

    func trainingBatch(_ batch: Batch) -> TrainingBatch {
        if config.model.data.domains == 2 {
            let (a, b) = batch.domains()
            return TrainingBatch(inputs: a, labels: batch.labels, secondInputs: b)
        }
        return TrainingBatch(inputs: batch.images, labels: batch.labels,
                             speakers: config.model.data.speakerNames == nil ? nil : batch.secondLabels)
    }
}
