import Testing
@testable import DeepGen

/// `OpProfiler` charges each recorded op, each backward step and each sum of gradient shares to
/// its own key, and nothing while stopped. The shapes here are odd ones no other test uses: the
/// totals are shared by every thread, and other tests record ops concurrently. No other suite
/// starts the profiler (these tests run one after the other).
@Suite(.serialized) struct OpProfilerTests {
    @Test func chargesForwardOpsTheirBackwardStepsAndGradientSums() {
        let x = Tensor(repeating: 0.5, shape: [7, 13]).requiringGrad()
        let w = Tensor(repeating: 0.25, shape: [13, 11]).requiringGrad()
        _ = x.matmul(w)  // before start: not counted
        OpProfiler.start()
        #expect(OpProfiler.isEnabled)
        let h = x.matmul(w)            // [7, 11]
        let y = (h * h).tanh()         // h is used twice: its two gradient shares are summed
        let loss = y.sum()
        _ = gradients(of: loss, with: [x, w], releasingGraph: true)
        let rows = OpProfiler.stop()
        #expect(!OpProfiler.isEnabled)

        func row(_ phase: OpProfiler.Phase, _ op: String, _ shape: [Int]) -> OpProfiler.Entry? {
            rows.first { $0.phase == phase && $0.op == op && $0.shape == shape }
        }
        #expect(row(.forward, "matmul", [7, 11])?.calls == 1)
        #expect(row(.forward, "mul", [7, 11])?.calls == 1)
        #expect(row(.forward, "tanh", [7, 11])?.calls == 1)
        #expect(row(.backward, "matmul", [7, 11])?.calls == 1)
        #expect(row(.backward, "mul", [7, 11])?.calls == 1)
        #expect(row(.backward, "tanh", [7, 11])?.calls == 1)
        #expect(row(.backward, "sum of gradient shares", [7, 11])?.calls == 1)
        // The ops a backward closure runs (tanh's and mul's own products) are part of its step,
        // not forward rows of their own: one forward mul, the one the model ran.
        #expect(rows.allSatisfy { $0.seconds >= 0 })
        #expect(rows.count == Set(rows.map { "\($0.phase) \($0.op) \($0.shape)" }).count, "one row per key")
        let sorted = rows.map(\.seconds)
        #expect(sorted == sorted.sorted(by: >), "largest first")
    }

    @Test func recordsNothingWhenOff() {
        let x = Tensor(repeating: 1, shape: [5, 17]).requiringGrad()
        OpProfiler.start()
        _ = x.tanh()
        let first = OpProfiler.stop()
        _ = x.tanh()  // off: the totals stay as they were
        let again = OpProfiler.stop()
        #expect(first.first { $0.op == "tanh" && $0.shape == [5, 17] }?.calls == 1)
        #expect(again.first { $0.op == "tanh" && $0.shape == [5, 17] }?.calls == 1)
    }
}
