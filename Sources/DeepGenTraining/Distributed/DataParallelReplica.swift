import DeepGenModels
import DeepGenNN

/// A batch so small that each process's share has one sample cannot train a BatchNorm1d layer on
/// per-process statistics (one value per channel has no variance); refused before any step, for one
/// process as for several, unless `--sync-batchnorm` takes the statistics over a whole batch of
/// several processes. A share that does not
/// split into whole groups of a minibatch standard deviation, or into whole packs of a packing
/// discriminator (`--pack`), is refused too (its groups or packs would not be one process's).
func checkPerProcessBatch(_ networks: [TrainableNetwork], settings: TrainingSettings, processes: Int) throws {
    let share = settings.batchSize / max(processes, 1)
    if share < 2, settings.syncBatchNorm != true || processes == 1,
       let normalized = networks.first(where: { $0.module.namedModules().contains { $0.1 is BatchNorm1d } }) {
        if processes == 1 {
            throw TrainingError.invalidConfiguration("--batch-size \(settings.batchSize) is too small for the \(normalized.name)'s BatchNorm1d layers, which normalize over the batch and need at least 2 samples")
        }
        throw TrainingError.invalidConfiguration("--batch-size \(settings.batchSize) gives each of the \(processes) processes \(share) sample, and BatchNorm1d needs at least 2 per process: give a larger --batch-size, or --sync-batchnorm (statistics over the whole batch)")
    }
    // Each process groups (and packs) its own share: the groups are one process's only if whole
    // groups fit it.
    for net in networks {
        if let packs = net.module as? SamplePacking, packs.packing > 1, share % packs.packing != 0 {
            throw TrainingError.invalidConfiguration("--batch-size \(settings.batchSize) gives each of the \(processes) processes \(share) samples, which do not split into packs of \(packs.packing) (--pack): give a --batch-size that is a multiple of \(packs.packing * processes)")
        }
        for case let (_, statistic as MinibatchStandardDeviation) in net.module.namedModules() {
            let group = statistic.groupSize(forBatch: settings.batchSize)
            guard share % group != 0 else { continue }
            throw TrainingError.invalidConfiguration("--batch-size \(settings.batchSize) gives each of the \(processes) processes \(share) samples, which do not split into the minibatch standard deviation's groups of \(group): give a --batch-size that is a multiple of \(group * processes), or --minibatch-stddev 0")
        }
    }
}

/// Makes `networks` one process's replica in a data-parallel run over `group` (training and the
/// benchmark alike): each network's gradients are averaged over the processes before its
/// optimizer steps, and each dropout layer draws its masks as this process's rows of the global
/// batch's mask (the processes' masks differ; together they are one process's).
func makeDataParallelReplica(_ networks: [TrainableNetwork], in group: MPICommunicator) {
    for net in networks {
        net.gradientReducer = GradientAverager(group)
        for case let (_, dropout as Dropout) in net.module.namedModules() { dropout.batchShare = (group.rank, group.size) }
    }
}
