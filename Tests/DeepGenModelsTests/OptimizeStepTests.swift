import Testing
import DeepGen
import DeepGenNN
import DeepGenOptimizers
@testable import DeepGenModels

/// `optimize` frees the step's graph, so each parameter has one owner while Adam updates it:
/// the update writes into the parameter's buffer instead of a copy, and a copy the caller kept
/// (a state dict) still holds the old values.
@Suite struct OptimizeStepTests {
    func network() -> (TrainableNetwork, Linear, Tensor) {
        var rng = RandomGenerator(seed: 11)
        let layer = Linear(4, 3, using: &rng)
        return (TrainableNetwork(name: "net", module: layer, optimizer: Adam(learningRate: 0.01)), layer,
                Tensor.normal([5, 4], using: &rng))
    }

    func addresses(_ m: Module) -> [String: UnsafePointer<Float>?] {
        Dictionary(uniqueKeysWithValues: m.namedParameters().map { name, p in
            (name, p.value.withUnsafeBufferPointer { $0.baseAddress })
        })
    }

    @Test func updatesParametersInTheirBuffers() {
        let (net, layer, x) = network()
        // Values as arrays: a kept tensor would share the buffers and force a copy.
        let before = addresses(layer), values = layer.stateDict().mapValues(\.scalars)
        optimize((layer(x) * layer(x)).sum(), [net])
        #expect(addresses(layer) == before)
        for (name, old) in values { #expect(layer.stateDict()[name]!.scalars != old, "\(name) not updated") }
    }

    @Test func aKeptStateDictKeepsItsValues() {
        let (net, layer, x) = network()
        let snapshot = layer.stateDict(), copied = snapshot.mapValues(\.scalars)
        optimize((layer(x) * layer(x)).sum(), [net])
        for (name, t) in snapshot {
            #expect(t.scalars == copied[name]!, "the update wrote into the caller's copy of \(name)")
            #expect(layer.stateDict()[name]!.scalars != t.scalars)
        }
    }

    /// The network keeps its parameter list after the first step, but a parameter frozen later is
    /// left alone from the next step on, and one unfrozen again is updated again.
    @Test func frozenAfterTheFirstStepIsNotUpdated() {
        let (net, layer, x) = network()
        optimize((layer(x) * layer(x)).sum(), [net])
        #expect(net.trainableParameters.map(\.0) == ["weight", "bias"])
        layer.bias!.frozen = true
        let bias = layer.bias!.value.scalars, weight = layer.weight.value.scalars
        optimize((layer(x) * layer(x)).sum(), [net])
        #expect(layer.bias!.value.scalars == bias && layer.weight.value.scalars != weight)
        #expect(net.trainableParameters.map(\.0) == ["weight"])
        layer.bias!.frozen = false
        optimize((layer(x) * layer(x)).sum(), [net])
        #expect(layer.bias!.value.scalars != bias)
    }
}
