import DeepGen
import DeepGenModels
import DeepGenNN

/// The process group as the engine's ``ProcessGroupSum`` for `--sync-batchnorm`: every BatchNorm
/// layer of the model sums its batch statistics over the processes through it. It sums only
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

    /// Hands itself to every BatchNorm layer of `networks`; returns how many there are.
    func synchronize(_ networks: [TrainableNetwork]) -> Int {
        var layers = 0
        for net in networks {
            for case let (_, norm as BatchNorm) in net.module.namedModules() {
                norm.processGroup = self
                layers += 1
            }
        }
        return layers
    }
}
