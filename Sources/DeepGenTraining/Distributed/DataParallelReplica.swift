import DeepGenModels
import DeepGenNN

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
