import DeepGen
import DeepGenKernels
import DeepGenOptimizers
import Foundation
import Testing
import _DeepGenTestSupport

private func temporaryFile() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-optim-\(UUID()).safetensors")
}

private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

/// Runs 10 steps straight, and 5 steps + checkpoint file + a fresh optimizer + 5 steps; both
/// must agree bit for bit in parameters and optimizer state.
private func checkResume<O: Optimizer>(_ fresh: O, _ name: String) throws {
    var straight = fresh
    var straightParameters = initialParameters()
    for t in 1...10 { straight.update(&straightParameters, gradients: gradients(step: t)) }

    var first = fresh
    var parameters = initialParameters()
    for t in 1...5 { first.update(&parameters, gradients: gradients(step: t)) }
    var checkpoint = Checkpoint()
    checkpoint.insert(parameters, under: "model.")
    checkpoint.store(first)
    let url = temporaryFile()
    defer { try? FileManager.default.removeItem(at: url) }
    try checkpoint.save(to: url)

    let loaded = try Checkpoint.load(from: url)
    var resumed = fresh
    try loaded.restore(&resumed)
    #expect(resumed.stepCount == 5)
    var resumedParameters = loaded.tensors(under: "model.").mapValues { $0.requiringGrad() }
    for t in 6...10 { resumed.update(&resumedParameters, gradients: gradients(step: t)) }

    #expect(resumed.stepCount == straight.stepCount)
    for p in parameterNames {
        #expect(bits(resumedParameters[p]!) == bits(straightParameters[p]!), "\(name) parameter \(p)")
    }
    let a = resumed.stateTensors(), b = straight.stateTensors()
    #expect(Set(a.keys) == Set(b.keys), "\(name)")
    for (key, t) in b { #expect(a[key].map(bits) == bits(t), "\(name) state \(key)") }
    #expect(resumed.stateMetadata() == straight.stateMetadata(), "\(name)")
}

@Suite struct OptimizerState {
    @Test(arguments: optimizerCases)
    func resumingFromACheckpointEqualsTenUninterruptedSteps(_ name: String) throws {
        try checkResume(optimizer(for: fixture[name]!), name)
    }

    @Test func stateIsNamedByParameterAndSlot() {
        var adam = Adam(amsgrad: true)
        var parameters = ["main.0.weight": Tensor([1, 2]).requiringGrad(), "main.0.bias": Tensor([3])]
        adam.update(&parameters, gradients: ["main.0.weight": Tensor([0.5, -0.5])])
        #expect(adam.stateTensors().keys.sorted() ==
                ["main.0.weight.exp_avg", "main.0.weight.exp_avg_sq", "main.0.weight.max_exp_avg_sq"])
        #expect(adam.stateMetadata()["parameter_steps"] == #"{"main.0.weight":1}"#)
        // A parameter without a gradient is untouched (PyTorch skips `grad is None`).
        #expect(parameters["main.0.bias"]!.scalars == [3])
        #expect(!parameters["main.0.bias"]!.requiresGrad)
    }

    @Test func restoreReplacesHyperparameters() throws {
        var trained = RMSprop(learningRate: 0.05, alpha: 0.9, momentum: 0.5, centered: true)
        var parameters = initialParameters()
        trained.update(&parameters, gradients: gradients(step: 1))
        var checkpoint = Checkpoint()
        checkpoint.store(trained, under: "opt.")
        var fresh = RMSprop()
        try checkpoint.restore(&fresh, under: "opt.")
        #expect(fresh.learningRate == 0.05 && fresh.alpha == 0.9 && fresh.momentum == 0.5 && fresh.centered)
        #expect(fresh.states["w"]?.step == 1)
    }

    @Test func badStateIsRefusedWithEveryProblem() throws {
        var adam = Adam()
        var parameters = initialParameters()
        adam.update(&parameters, gradients: gradients(step: 1))
        var checkpoint = Checkpoint()
        checkpoint.store(adam)

        var sgd = SGD(learningRate: 0.1)
        do {
            try checkpoint.restore(&sgd)
            Issue.record("Adam state loaded into SGD")
        } catch let e as OptimizerStateError {
            #expect(e.description.contains("'Adam', not SGD"))
            #expect(e.file == "<memory>")
        }

        var broken = checkpoint
        broken.tensors["optimizer.w.exp_avg_sq"] = nil
        broken.tensors["optimizer.b.exp_avg"] = Tensor(zeros: [5])
        broken.tensors["optimizer.w.momentum"] = Tensor(zeros: [1])
        var target = Adam()
        let before = target.stateMetadata()
        do {
            try broken.restore(&target)
            Issue.record("broken state loaded")
        } catch let e as OptimizerStateError {
            #expect(e.problems.count == 3, "\(e.problems)")
            #expect(e.description.contains("parameter 'w': slot 'exp_avg_sq' is missing"))
            #expect(e.description.contains("parameter 'b': slots have different shapes"))
            #expect(e.description.contains("unexpected state tensor 'w.momentum'"))
        }
        #expect(target.stateMetadata() == before)

        var noSteps = checkpoint
        noSteps.metadata["optimizer.parameter_steps"] = "[1"
        #expect(throws: OptimizerStateError.self) { try noSteps.restore(&target) }
    }

    /// With no other copy held, parameters and state are updated in their own buffers. (A copy
    /// would be made while the original is still alive, so it could not reuse its address.)
    @Test(arguments: ["adam_amsgrad", "adamw", "sgd_momentum", "rmsprop_momentum_centered"])
    func updatesInPlaceWhenTheCallerHoldsNoOtherCopy(_ name: String) {
        func address(_ t: Tensor) -> Int { t.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } }
        var opt = optimizer(for: fixture[name]!)
        var parameters = initialParameters()
        opt.update(&parameters, gradients: gradients(step: 1))
        let before = parameters.mapValues(address)
        let stateBefore = opt.stateTensors().mapValues(address)
        opt.update(&parameters, gradients: gradients(step: 2))
        #expect(parameters.mapValues(address) == before, "\(name)")
        #expect(opt.stateTensors().mapValues(address) == stateBefore, "\(name)")
    }

    @Test func applySingleIsPure() {
        let rule = Adam(learningRate: 0.1)
        let parameter = Tensor([1, 2, 3]), gradient = Tensor([0.1, -0.2, 0.3])
        let state = rule.initialState(for: parameter)
        let (p1, s1, problem) = rule.applySingle(gradient: gradient, parameter: parameter, state: state)
        let (p2, s2, _) = rule.applySingle(gradient: gradient, parameter: parameter, state: state)
        #expect(problem == nil)
        #expect(parameter.scalars == [1, 2, 3])
        #expect(state.step == 0 && state.expAvg.scalars == [0, 0, 0])
        #expect(p1.scalars == p2.scalars && s1.expAvgSq.scalars == s2.expAvgSq.scalars && s1.step == 1)
        // First Adam step moves every element by lr against the gradient's sign (m̂/√v̂ = ±1).
        #expect(closeness(p1, Tensor([0.9, 2.1, 2.9]), atol: 1e-6, rtol: 0) == nil)
    }

    @Test func optimizersMinimiseAQuadraticThroughAutograd() {
        let target = Tensor([3, -1, 0.5])
        let optimizers: [any Optimizer] = [Adam(learningRate: 0.1), AdamW(learningRate: 0.1, weightDecay: 0),
                                           SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), RMSprop(learningRate: 0.03)]
        for var opt in optimizers {
            var parameters = ["x": Tensor(zeros: [3]).requiringGrad()]
            for _ in 0..<400 {
                let x = parameters["x"]!
                let loss = ((x - target) * (x - target)).sum()
                let g = gradients(of: loss, with: [x])[0]
                opt.update(&parameters, gradients: ["x": g])
            }
            #expect(closeness(parameters["x"]!, target, atol: 2e-2, rtol: 0) == nil, "\(type(of: opt)): \(parameters["x"]!)")
        }
    }

    @Test func clippingByHand() {
        // Norm of (3, 4, 12) is 13; clipping to 6.5 halves every gradient (up to the 1e-6 guard).
        var grads = ["a": Tensor([3, 4]), "b": Tensor([12])]
        let norm = clipGradientNorm(&grads, maxNorm: 6.5)
        #expect(norm == 13)
        #expect(closeness(grads["a"]!, Tensor([1.5, 2]), atol: 1e-6, rtol: 0) == nil)
        var small = ["a": Tensor([0.3, 0.4])]
        #expect(abs(clipGradientNorm(&small, maxNorm: 1) - 0.5) < 1e-7)
        #expect(small["a"]!.scalars == [0.3, 0.4])
    }

    /// Tensors summed on two threads give the one-thread formula's bits: each tensor's sum of
    /// squares added in name order, the norm, every gradient times the coefficient (the 2-norm
    /// and the largest magnitude); the caller's tensors are left as they were.
    @Test(arguments: [2.0, Double.infinity]) func clippingOnThreadsIsTheSerialFormula(_ normType: Double) {
        var rng = RandomGenerator(seed: 9)
        var grads: [String: Tensor] = [:]
        for (i, n) in [70_000, 5, 130_000, 1, 40_000, 65_536].enumerated() { grads["p\(i)"] = Tensor.normal([n], using: &rng) * 3 }
        let original = grads, before = grads.mapValues(\.scalars)
        var total = 0.0
        for name in grads.keys.sorted() {
            for x in grads[name]!.scalars { total = normType == 2 ? total + Double(x) * Double(x) : max(total, Double(abs(x))) }
        }
        let expected = Float(normType == 2 ? total.squareRoot() : total), coefficient = min(Float(0.5) / (expected + 1e-6), 1)
        let norm = Parallel.withThreadCount(2) { clipGradientNorm(&grads, maxNorm: 0.5, normType: normType) }
        if normType == 2 { #expect(abs(norm - expected) <= expected * 1e-6) } else { #expect(norm == expected) }
        for (name, g) in grads {
            let c = min(Float(0.5) / (norm + 1e-6), 1)
            #expect(bits(g) == original[name]!.scalars.map { ($0 * c).bitPattern }, "\(name)")
            #expect(abs(c - coefficient) <= coefficient * 1e-6)
        }
        // Two threads and one give the same norm to the bit.
        var again = original
        #expect(Parallel.withThreadCount(1) { clipGradientNorm(&again, maxNorm: 0.5, normType: normType) } == norm)
        #expect(original.mapValues(\.scalars) == before)
    }

    @Test func schedulerPositionRoundTripsThroughACheckpoint() throws {
        var scheduler = LearningRateScheduler(.linearDecay(constantEpochs: 100, decayEpochs: 100), baseLearningRate: 2e-4)
        for _ in 0..<150 { scheduler.step() }
        var checkpoint = Checkpoint()
        try checkpoint.setMetadataValue(scheduler, forKey: CheckpointKey.learningRateSchedule)
        let back = try #require(try checkpoint.metadataValue(LearningRateScheduler.self, forKey: CheckpointKey.learningRateSchedule))
        #expect(back == scheduler && back.epoch == 150)
        // CycleGAN: epoch 150 of 100 + 100 is 1 − 51/101 of the base rate.
        #expect(abs(back.learningRate - 2e-4 * (1 - 51.0 / 101)) < 1e-18)
        var adam = Adam()
        back.apply(to: &adam)
        #expect(adam.learningRate == back.learningRate)
        // Past the end the rate holds at zero instead of turning negative.
        #expect(LearningRateSchedule.linearDecay(constantEpochs: 2, decayEpochs: 2).learningRate(base: 1, epoch: 9) == 0)
    }

    /// Every optimizer reports a non-finite gradient, and an update that overflows, by parameter.
    @Test(arguments: [OptimizerSettings.Kind.adam, .adamw, .sgd, .rmsprop])
    func nonFiniteGradientsAndUpdatesAreReported(_ kind: OptimizerSettings.Kind) {
        var optimizer = OptimizerSettings(kind: kind, learningRate: 0.1).makeOptimizer()
        var parameters = ["a": Tensor([1, 2, 3]), "b": Tensor([1, 2])]
        let clean = optimizer.update(&parameters, gradients: ["a": Tensor([0.1, 0.2, 0.3]), "b": Tensor([1, 1])])
        #expect(clean.isEmpty)
        let report = optimizer.update(&parameters, gradients: ["a": Tensor([0.1, .nan, 0.3]), "b": Tensor([1, 1])])
        #expect(report.count == 1 && report["a"].map { "\($0)" } == "gradient is nan", "\(kind): \(report)")
        // A finite gradient with a step past Float's range.
        var overflowing = OptimizerSettings(kind: kind, learningRate: 1e39).makeOptimizer()
        var weights = ["w": Tensor([1, 2])]
        #expect(overflowing.update(&weights, gradients: ["w": Tensor([1, -1])]) == ["w": .parameter], "\(kind)")
    }

    /// `--clip-grad-norm`: every optimizer's step sees the gradients clipped as
    /// `clipGradientNorm` clips them, and its state and checkpoint entries are the base's.
    @Test(arguments: [OptimizerSettings.Kind.adam, .adamw, .sgd, .rmsprop])
    func clippingSettingClipsBeforeEveryStep(_ kind: OptimizerSettings.Kind) throws {
        var clipped = OptimizerSettings(kind: kind, learningRate: 0.1, maxGradientNorm: 0.5).makeOptimizer()
        var plain = OptimizerSettings(kind: kind, learningRate: 0.1).makeOptimizer()
        var a = ["w": Tensor([1, 2, 3]), "v": Tensor([4])], b = a
        for step in 0..<3 {
            let grads = ["w": Tensor([3, -4, Float(step)]), "v": Tensor([12])]
            var byHand = grads
            clipGradientNorm(&byHand, maxNorm: 0.5)
            clipped.update(&a, gradients: grads)
            plain.update(&b, gradients: byHand)
            #expect(a["w"]!.scalars == b["w"]!.scalars && a["v"]!.scalars == b["v"]!.scalars, "\(kind) step \(step)")
        }
        #expect(clipped.stepCount == 3 && clipped.stateTensors().keys.sorted() == plain.stateTensors().keys.sorted())
        clipped.learningRate = 0.01
        #expect(clipped.learningRate == 0.01)
        // Round trip through JSON (config.json, checkpoints) and its validation.
        let settings = OptimizerSettings(kind: kind, learningRate: 0.1, maxGradientNorm: 2.5)
        #expect(try JSONDecoder().decode(OptimizerSettings.self, from: JSONEncoder().encode(settings)) == settings)
        #expect(throws: (any Error).self) { try OptimizerSettings(kind: kind, learningRate: 0.1, maxGradientNorm: 0).validate() }
        #expect(throws: (any Error).self) { try OptimizerSettings(kind: kind, learningRate: 0.1, maxGradientNorm: .nan).validate() }
    }
}
