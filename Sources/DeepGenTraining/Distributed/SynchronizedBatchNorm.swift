import DeepGen
import DeepGenModels
import DeepGenNN

/// The process group as the engine's ``ProcessGroupSum``: with `--sync-batchnorm` every BatchNorm
/// layer of the model (and a flow's batch normalization) sums its batch statistics over the
/// processes through it, and in every data-parallel run a data-dependent initialization (ActNorm)
/// takes the whole first batch's. It sums only
/// while a training step runs (``isActive``): rank 0 alone does the epoch-end work (sample grids,
/// evaluation), where a layer that waited for the others would wait for ever.
final class BatchStatisticsSum: ProcessGroupSum {
    let communicator: MPICommunicator
    var isActive = false

    init(_ communicator: MPICommunicator) { self.communicator = communicator }

    func sumOverProcesses(_ values: UnsafeMutableBufferPointer<Double>) -> Bool {
        guard isActive else { return false }
        // A failed sum (a lost process) leaves each with its own statistics; the gradients' sum
        // that ends the step fails the same way and stops the run with the reason.
        do { try communicator.sum(values) } catch { return false }
        return true
    }

    /// Hands itself to every layer of `networks` whose statistics can span the processes: all of
    /// them with `batchNorm` (`--sync-batchnorm`), else those that always do. Returns how many
    /// batch normalizations and how many always-synchronized layers it reached.
    func synchronize(_ networks: [TrainableNetwork], batchNorm: Bool) -> (normalizations: Int, always: Int) {
        var counts = (normalizations: 0, always: 0)
        for net in networks {
            for case let (_, layer as CrossProcessStatisticsLayer) in net.module.namedModules() where batchNorm || layer.synchronizesAlways {
                layer.processGroup = self
                if layer.synchronizesAlways { counts.always += 1 } else { counts.normalizations += 1 }
            }
        }
        return counts
    }
}
