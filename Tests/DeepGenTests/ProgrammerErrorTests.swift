import Testing
import DeepGen

/// Programmer errors stop the process with a message that names the op and the shapes.
/// Each case runs in a child process (an exit test) and its standard error is checked.
@Suite struct ProgrammerErrorTests {
    @Test func broadcastMismatchNamesOpAndShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]) + Tensor(zeros: [4])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[add] shapes [2, 3] and [4] cannot be broadcast together"))
    }

    @Test func matmulMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]).matmul(Tensor(zeros: [4, 5]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[matmul] inner sizes differ: [2, 3] × [4, 5]"))
    }

    @Test func badAxis() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]).sum(axis: 2)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[sum] axis 2 out of range for rank 2"))
    }

    @Test func convChannelMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 3, 8, 8]).conv2d(weight: Tensor(zeros: [4, 2, 3, 3]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[conv2d] input [1, 3, 8, 8] and weight [4, 2, 3, 3] do not match"))
    }

    @Test func aReleasedGraphIsNotDifferentiatedAgain() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor(shape: [2], scalars: [1, 2]).requiringGrad()
            let loss = (w * w).sum()
            _ = gradients(of: loss, with: [w], releasingGraph: true)
            _ = gradients(of: loss, with: [w])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("was freed by an earlier pass"))
    }
}
