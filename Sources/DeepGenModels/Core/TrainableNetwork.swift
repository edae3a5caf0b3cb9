import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// Combines the gradients of one network across the processes of a data-parallel run before its
/// optimizer steps: every process then applies the same update (their mean).
public protocol GradientReducing: AnyObject {
    /// A backward pass through the network begins: its parameters' sizes, in order.
    func beginBackward(parameterCounts: [Int])
    /// The gradient of parameter `index` is complete while the pass goes on (the reducer may start
    /// combining it with the other processes'; it must copy what it keeps).
    func gradientReady(_ index: Int, _ gradient: Tensor)
    /// Replaces `gradients` (the network's, in its parameter order) by their mean over all processes.
    func average(_ gradients: inout [Tensor]) throws
}

extension GradientReducing {
    public func beginBackward(parameterCounts: [Int]) {}
    public func gradientReady(_ index: Int, _ gradient: Tensor) {}
}

/// A network with its own optimizer: the unit a training step updates and a checkpoint stores
/// (as `<name>.<parameter>` and `optimizer.<name>.<parameter>.<slot>`).
public final class TrainableNetwork {
    public let name: String
    public let module: Module
    public var optimizer: any Optimizer
    /// This network's learning rate relative to the run's (two time-scale updates give a GAN's
    /// generator and discriminator different rates); the schedule scales both alike.
    public var learningRateFactor: Double = 1
    /// What was not finite in the last ``optimize(_:_:)`` through this network, when something
    /// was: "the gradient of generator.main.0.weight is nan". Its weights are then not usable and
    /// the trainer stops before writing anything.
    public internal(set) var divergence: String?
    /// Averages this network's gradients across a data-parallel run's processes; `nil` alone.
    public var gradientReducer: (any GradientReducing)?
    /// Why the last reduction failed (a rank lost): the trainer stops with it.
    public internal(set) var reductionFailure: String?

    /// Gives the network its own learning rate `rate` (two time-scale updates), kept as a factor
    /// of the run's `runRate` so the schedule scales it; `nil` (or a run rate of 0) leaves the run's.
    public func useOwnLearningRate(_ rate: Double?, runRate: Double) {
        guard let rate, runRate > 0 else { return }
        (learningRateFactor, optimizer.learningRate) = (rate / runRate, rate)
    }

    public init(name: String, module: Module, optimizer: any Optimizer) {
        self.name = name
        self.module = module
        self.optimizer = optimizer
    }

    /// Every parameter of `module` with its name, found by reflection at the first step and kept:
    /// reflecting over a model's modules every step cost a few percent of a small model's step
    /// (gpt: 2.1 ms of 73, BENCHMARKS.md). Call ``parametersChanged()`` after replacing a
    /// submodule or a parameter object.
    private var allParameters: [(String, Parameter)]?

    /// The parameters an optimizer steps: the module's, less the frozen ones (checked every step).
    public var trainableParameters: [(String, Parameter)] {
        if allParameters == nil { allParameters = module.namedParameters() }
        return allParameters!.filter { !$0.1.frozen }
    }

    /// Forgets the parameter list kept by ``trainableParameters``: the module's structure changed.
    public func parametersChanged() { allParameters = nil }

    /// Applies gradients keyed by this network's parameter names to `parameters`, the module's
    /// `namedParameters(trainableOnly: true)`, and notes what came out non-finite.
    func apply(_ gradients: [String: Tensor], to parameters: [(String, Parameter)]) {
        var nonFinite: [String: NonFiniteUpdate] = [:]
        Module.lend(parameters) { nonFinite = optimizer.update(&$0, gradients: gradients) }
        if let name = nonFinite.keys.sorted().first {
            switch nonFinite[name]! {
            case .gradient(let value): divergence = "the gradient of \(self.name).\(name) is \(value)"
            case .parameter: divergence = "\(self.name).\(name) is not finite after its update"
            }
        }
    }
}

/// Differentiates `loss` once with respect to every trainable parameter of `networks` and steps
/// each network's optimizer. Returns the loss value. A NaN or infinite loss updates nothing (the
/// caller sees the value); a non-finite gradient or update is found in the update's own pass and
/// noted in the network's ``TrainableNetwork/divergence``, after which its weights are not usable:
/// the caller stops without writing them. The pass frees the graph's saved tensors (PyTorch's
/// `backward()`), so `loss`'s graph cannot be differentiated again.
@discardableResult
public func optimize(_ loss: Tensor, _ networks: [TrainableNetwork]) -> Float {
    for net in networks { (net.divergence, net.reductionFailure) = (nil, nil) }
    let value = loss.scalar
    // In a data-parallel run every process takes part in every reduction, whatever its own loss:
    // a NaN there spreads to all of them, and all stop together.
    let reduced = networks.contains { $0.gradientReducer != nil }
    guard value.isFinite || reduced else { return value }
    let named = networks.map(\.trainableParameters)
    // Each parameter's network and place in it, for reducers that start as gradients complete.
    var owner: [(network: Int, index: Int)] = []
    for (k, params) in named.enumerated() {
        owner += params.indices.map { (k, $0) }
        networks[k].gradientReducer?.beginBackward(parameterCounts: params.map { $0.1.value.count })
    }
    let whenFinal: ((Int, Tensor) -> Void)? = reduced ? { i, g in
        let (k, j) = owner[i]
        networks[k].gradientReducer?.gradientReady(j, g)
    } : nil
    // Released: the graph's saved copies of the weights would otherwise make Adam copy each one.
    var grads = gradients(of: loss, with: named.flatMap { $0.map(\.1.value) }, releasingGraph: true, whenFinal: whenFinal)
    // Each network's gradients moved into their own list (none left behind in `grads`), so that a
    // reducer can overwrite them in place.
    var perNetwork: [[Tensor]] = []
    for params in named.reversed() {
        perNetwork.append(Array(grads.suffix(params.count)))
        grads.removeLast(params.count)
    }
    perNetwork.reverse()
    for (k, (net, params)) in zip(networks, named).enumerated() {
        var own = perNetwork[k]
        perNetwork[k] = []
        if let reducer = net.gradientReducer {
            OpProfiler.mark(.other, "after the backward pass")
            do { try reducer.average(&own) } catch {
                net.reductionFailure = "the gradients of \(net.name) could not be combined across processes: \(error)"
                continue
            }
            OpProfiler.mark(.other, "averaging gradients across processes")
        }
        var byName: [String: Tensor] = [:]
        for (i, (name, _)) in params.enumerated() { byName[name] = own[i] }
        net.apply(byName, to: params)
        OpProfiler.mark(.optimizer, "update of \(net.name)")
    }
    return value
}
