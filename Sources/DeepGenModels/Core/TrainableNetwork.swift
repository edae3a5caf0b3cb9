import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// A network with its own optimizer: the unit a training step updates and a checkpoint stores
/// (as `<name>.<parameter>` and `optimizer.<name>.<parameter>.<slot>`).
public final class TrainableNetwork {
    public let name: String
    public let module: Module
    public var optimizer: any Optimizer

    public init(name: String, module: Module, optimizer: any Optimizer) {
        self.name = name
        self.module = module
        self.optimizer = optimizer
    }

    /// Applies gradients keyed by this network's parameter names to `parameters`, the module's
    /// `namedParameters(trainableOnly: true)`.
    func apply(_ gradients: [String: Tensor], to parameters: [(String, Parameter)]) {
        Module.lend(parameters) { optimizer.update(&$0, gradients: gradients) }
    }
}

/// Differentiates `loss` once with respect to every trainable parameter of `networks` and steps
/// each network's optimizer. Returns the loss value; a NaN or infinite loss updates nothing, so
/// the weights stay the last good ones and the caller can stop. The pass frees the graph's saved
/// tensors (PyTorch's `backward()`), so `loss`'s graph cannot be differentiated again.
@discardableResult
public func optimize(_ loss: Tensor, _ networks: [TrainableNetwork]) -> Float {
    let value = loss.scalar
    guard value.isFinite else { return value }
    let named = networks.map { $0.module.namedParameters(trainableOnly: true) }
    // Released: the graph's saved copies of the weights would otherwise make Adam copy each one.
    let grads = gradients(of: loss, with: named.flatMap { $0.map(\.1.value) }, releasingGraph: true)
    var offset = 0
    for (net, params) in zip(networks, named) {
        var byName: [String: Tensor] = [:]
        for (i, (name, _)) in params.enumerated() { byName[name] = grads[offset + i] }
        offset += params.count
        net.apply(byName, to: params)
    }
    return value
}
