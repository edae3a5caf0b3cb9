import Foundation
import Testing
@testable import DeepGen
import _DeepGenTestSupport

/// A backward pass runs only the part of the graph that leads to the inputs it was asked for
/// (the generator's step through a discriminator computes no discriminator weight gradients).
@Suite struct GradientPruningTests {
    final class Counter: @unchecked Sendable { var calls = 0; var sawNeeded: [Bool] = [] }

    /// `x · 2` through a recorded op whose backward counts its calls and notes whether its input's
    /// gradient is wanted.
    func counted(_ x: Tensor, _ counter: Counter) -> Tensor {
        Tensor.record("counted", x.detached() * 2, inputs: [x]) { g in
            counter.calls += 1
            counter.sawNeeded.append(x.needsGradient)
            return [x.needsGradient ? g * 2 : nil]
        }
    }

    @Test func branchesNotLeadingToWantedInputsAreSkipped() {
        let u = Tensor([1, 2]).requiringGrad(), v = Tensor([3, 4]).requiringGrad()
        let counter = Counter()
        let loss = counted(u, counter).sum() + (v * v).sum()
        let gv = gradients(of: loss, with: [v])[0]
        #expect(gv.scalars == [6, 8])
        #expect(counter.calls == 0, "u's branch leads only to u, which was not asked for")
        let gu = gradients(of: loss, with: [u])[0]
        #expect(gu.scalars == [2, 2])
        #expect(counter.calls == 1 && counter.sawNeeded == [true])
        #expect(u.needsGradient && v.needsGradient, "flags are cleared after each pass")
    }

    /// Pruning is per thread and per pass: two threads differentiating graphs that share a
    /// parameter, one asking for it and one not, both get their own right answers.
    @Test func concurrentPassesSharingAParameter() {
        let w = Tensor(shape: [3, 1], scalars: [1, -1, 2]).requiringGrad()
        let failures = Counter()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for _ in 0..<300 {
                let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).requiringGrad()
                let loss = x.matmul(w).sum()
                let ok: Bool
                if thread == 0 {
                    ok = gradients(of: loss, with: [x])[0].scalars == [1, -1, 2, 1, -1, 2]
                } else {
                    ok = gradients(of: loss, with: [w])[0].scalars == [5, 7, 9]
                }
                if !ok { lock.lock(); failures.calls += 1; lock.unlock() }
            }
        }
        #expect(failures.calls == 0)
    }

    @Test func sharedOpSkipsOnlyTheUnwantedInput() {
        // y = x·w: asking for x only must give the right x gradient and leave w's uncomputed.
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).requiringGrad()
        let w = Tensor(shape: [3, 1], scalars: [1, -1, 2]).requiringGrad()
        let counter = Counter()
        let y = counted(w, counter)
        let gx = gradients(of: x.matmul(y).sum(), with: [x])[0]
        #expect(gx.scalars == [2, -2, 4, 2, -2, 4])
        #expect(counter.calls == 0)
    }
}

/// Backward closures keep only what they need, as PyTorch's saved tensors: (leaky) ReLU its
/// output, add and subtract their shapes, a product each factor only for the other's gradient.
@Suite struct GraphMemoryTests {
    @Test func intermediatesNotNeededForBackwardAreReleased() {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([4, 8], using: &rng).requiringGrad()
        let mask = Tensor.normal([4, 8], using: &rng)
        weak var scaled: TensorStorage?, activated: TensorStorage?
        var loss: Tensor
        do {
            let h = (x * 3).reshaped([8, 4]).reshaped([4, 8])  // reshapes keep shapes only
            scaled = h.storage
            let r = h.leakyRelu(0.2)      // kept by its own backward
            let d = r * mask              // dropout-like: keeps the mask, not r
            activated = r.storage
            loss = (d + 1).sum()          // add keeps shapes only
        }
        #expect(scaled == nil, "the ReLU's input is released")
        #expect(activated != nil, "the ReLU's output is kept for its backward")
        let g = gradients(of: loss, with: [x])[0]
        let expected = zip(x.scalars, mask.scalars).map { v, m in 3 * m * (v > 0 ? 1 : 0.2) }
        #expect(closeness(g, Tensor(shape: [4, 8], scalars: expected)) == nil)
        loss = Tensor(0)
        #expect(activated == nil, "and released with the graph")
    }
}
