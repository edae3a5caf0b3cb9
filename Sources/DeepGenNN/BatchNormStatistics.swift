import DeepGen

/// Recomputes the running statistics of every BatchNorm layer in `module` as their exact average
/// over `batches` forward passes in training mode (PyTorch's `torch.optim.swa_utils.update_bn`):
/// `forward(i)` runs batch `i` through the module. Weights, the batch counters and the module's
/// mode are left as they were. Does nothing, and calls nothing, when the module has no BatchNorm that
/// tracks statistics.
///
/// Running statistics kept with momentum during training lag behind weights that change every
/// step; a weight average's (`--ema`) belong to other weights altogether. Evaluation with either
/// normalizes with statistics that do not match the network it runs.
public func recomputeBatchNormStatistics(of module: Module, batches: Int, forward: (Int) -> Void) {
    let layers = module.namedModules().compactMap { $0.1 as? BatchNorm }.filter { $0.runningMean != nil }
    guard !layers.isEmpty, batches > 0 else { return }
    let momenta = layers.map(\.momentum)
    let counts = layers.map { $0.numBatchesTracked!.value }
    let wasTraining = module.isTraining
    for layer in layers {
        layer.momentum = nil
        layer.runningMean!.value = Tensor(zeros: layer.runningMean!.value.shape)
        layer.runningVar!.value = Tensor(ones: layer.runningVar!.value.shape)
        layer.numBatchesTracked!.value = Tensor(0)
    }
    module.train()
    withoutGrad { for i in 0..<batches { forward(i) } }
    module.train(wasTraining)
    // The count stays the training's (batches seen), as the checkpoint recorded it.
    for (layer, (momentum, count)) in zip(layers, zip(momenta, counts)) {
        layer.momentum = momentum
        layer.numBatchesTracked!.value = count
    }
}
