import DeepGen
import DeepGenModels

/// Averages a network's gradients over the ranks of a data-parallel run: every rank copies its
/// gradients into one flat buffer, the buffer is summed across ranks in one all-reduce, and each
/// rank scales it by 1/ranks. With each rank's loss the mean over its equal share of the global
/// batch, the result is the gradient of the mean over the whole batch, as one process computes it.
final class GradientAverager: GradientReducing {
    let communicator: MPICommunicator
    private var buffer: [Float] = []
    /// Seconds spent averaging so far (copies, and the all-reduce with any wait for slower
    /// processes): the benchmark reports it per step.
    private(set) var seconds: Double = 0

    init(_ communicator: MPICommunicator) { self.communicator = communicator }

    func average(_ gradients: inout [Tensor]) throws {
        let start = communicator.time
        defer { seconds += communicator.time - start }
        let total = gradients.reduce(0) { $0 + $1.count }
        if buffer.count != total { buffer = [Float](repeating: 0, count: total) }
        var offset = 0
        buffer.withUnsafeMutableBufferPointer { out in
            for g in gradients {
                g.withUnsafeBufferPointer { src in (out.baseAddress! + offset).update(from: src.baseAddress!, count: src.count) }
                offset += g.count
            }
        }
        try communicator.sum(&buffer)
        // The mean is written back into each gradient's own storage (the trainer hands over the
        // only reference: no allocation).
        let scale = 1 / Float(communicator.size)
        offset = 0
        buffer.withUnsafeBufferPointer { sum in
            for i in gradients.indices {
                let source = sum.baseAddress! + offset
                offset += gradients[i].count
                gradients[i].withUnsafeMutableBufferPointer { g in
                    for j in g.indices { g[j] = source[j] * scale }
                }
            }
        }
    }
}
