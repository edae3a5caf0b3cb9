import DeepGenKernels

extension Tensor {
    /// One LSTM layer over a whole sequence, time-major: `inputGates` `[time, batch, 4·hidden]`
    /// (the input half of every step's gates, `x·W_ihᵀ + b_ih + b_hh`, PyTorch's gate order),
    /// `weightHH` `[4·hidden, hidden]`, initial states `[batch, hidden]`. Returns every step's
    /// hidden state `[time, batch, hidden]` and, untracked, the last cell state.
    ///
    /// One op for the sequence, as PyTorch's CPU LSTM: forward, one product by `W_hh` and one
    /// fused cell step per time step; backward, backpropagation through time with the per-step
    /// products by `W_hh`, and the weight's gradient as one product over all steps instead of a
    /// product and a sum per step. A recorded backward pass uses ``lstmLayerComposite``.
    public static func lstmLayer(inputGates: Tensor, weightHH: Tensor, hidden0: Tensor, cell0: Tensor) -> (hidden: Tensor, lastCell: Tensor) {
        precondition(inputGates.rank == 3 && weightHH.rank == 2 && weightHH.shape[0] == 4 * weightHH.shape[1]
                     && inputGates.shape[2] == weightHH.shape[0] && hidden0.shape == [inputGates.shape[1], weightHH.shape[1]]
                     && cell0.shape == hidden0.shape,
                     "[lstmLayer] need gates [time, batch, 4·hidden], W_hh [4·hidden, hidden] and states [batch, hidden]; got \(inputGates.shape), \(weightHH.shape), \(hidden0.shape), \(cell0.shape)")
        let (time, batch, hidden) = (inputGates.shape[0], inputGates.shape[1], weightHH.shape[1])
        precondition(time >= 1, "[lstmLayer] no time steps")
        let step = batch * hidden, gateStep = batch * 4 * hidden
        // The cell's four gates' exponentials per row are worth splitting from about 2,048 values a
        // thread (char-rnn: 128 units, 50 rows, on two threads); each row is independent, so the
        // results do not depend on the split.
        let cellRowsPerChunk = Swift.max(1, 512 / Swift.max(hidden, 1))
        // Every step's gates (pre-activations, then the cell overwrites them with their
        // activations), hidden and cell states and tanh of the cell, kept for the backward pass.
        let gates = Tensor(uninitializedShape: inputGates.shape)
        gates.storage.pointer.update(from: inputGates.storage.pointer, count: inputGates.count)
        let hs = Tensor(uninitializedShape: [time, batch, hidden]), cs = Tensor(uninitializedShape: [time, batch, hidden])
        let tanhCells = Tensor(uninitializedShape: [time, batch, hidden])
        let pg = gates.storage.pointer, ph = hs.storage.pointer, pc = cs.storage.pointer, pw = weightHH.storage.pointer
        let pt = tanhCells.storage.pointer
        // W_hhᵀ packed once for every step's product.
        let recurrent = SGEMMPackedB(transB: true, b: pw, ldb: hidden, k: hidden, n: 4 * hidden)
        for t in 0..<time {
            let hPrev = t == 0 ? UnsafePointer(hidden0.storage.pointer) : UnsafePointer(ph + (t - 1) * step)
            let cPrev = t == 0 ? UnsafePointer(cell0.storage.pointer) : UnsafePointer(pc + (t - 1) * step)
            recurrent.multiply(transA: false, m: batch, a: hPrev, lda: hidden, beta: 1, c: pg + t * gateStep, ldc: 4 * hidden)
            Parallel.forEachChunk(batch, minChunk: cellRowsPerChunk) { _, rows in
                for b in rows {
                    LSTMKernels.forwardKeeping(gates: pg + t * gateStep + b * 4 * hidden, cell: cPrev + b * hidden, hiddenOut: ph + t * step + b * hidden,
                                               cellOut: pc + t * step + b * hidden, tanhCell: pt + t * step + b * hidden, hidden: hidden)
                }
            }
        }
        withExtendedLifetime(weightHH) {}
        let output = record("lstmLayer", hs, inputs: [inputGates, weightHH, hidden0, cell0]) { dHs in
            if GradMode.isEnabled {
                return lstmLayerBackwardRecorded(inputGates, weightHH, hidden0, cell0, dHs)
            }
            let dGates = Tensor(uninitializedShape: inputGates.shape)
            let dh = Tensor(zeros: [batch, hidden]), dc = Tensor(zeros: [batch, hidden]), dcPrev = Tensor(uninitializedShape: [batch, hidden])
            let pdg = dGates.storage.pointer, pdh = dh.storage.pointer, pdc = dc.storage.pointer, pdcPrev = dcPrev.storage.pointer
            let pdy = dHs.storage.pointer
            let recurrentAdjoint = SGEMMPackedB(transB: false, b: pw, ldb: hidden, k: 4 * hidden, n: hidden)
            for t in stride(from: time - 1, through: 0, by: -1) {
                // The step's hidden gradient: from the output and from the next step.
                for i in 0..<step { pdh[i] += pdy[t * step + i] }
                let cPrev = t == 0 ? UnsafePointer(cell0.storage.pointer) : UnsafePointer(pc + (t - 1) * step)
                Parallel.forEachChunk(batch, minChunk: cellRowsPerChunk) { _, rows in
                    for b in rows {
                        LSTMKernels.backward(activations: pg + t * gateStep + b * 4 * hidden, cell: cPrev + b * hidden, tanhCell: pt + t * step + b * hidden,
                                             dHidden: pdh + b * hidden, dCellOut: pdc + b * hidden,
                                             dGates: pdg + t * gateStep + b * 4 * hidden, dCell: pdcPrev + b * hidden, hidden: hidden)
                    }
                }
                // To the previous step: dh = dG·W_hh, dc = the cell's own path.
                recurrentAdjoint.multiply(transA: false, m: batch, a: pdg + t * gateStep, lda: 4 * hidden, c: pdh, ldc: hidden)
                pdc.update(from: pdcPrev, count: step)
            }
            var dW: Tensor?
            if weightHH.needsGradient {
                // Σₜ dGₜᵀ·hₜ₋₁ as one product: the previous hidden states side by side.
                let previous = Tensor(uninitializedShape: [time, batch, hidden])
                previous.storage.pointer.update(from: hidden0.storage.pointer, count: step)
                if time > 1 { (previous.storage.pointer + step).update(from: ph, count: (time - 1) * step) }
                let w = Tensor(uninitializedShape: weightHH.shape)
                sgemm(transA: true, transB: false, m: 4 * hidden, n: hidden, k: time * batch, a: pdg, lda: 4 * hidden,
                      b: previous.storage.pointer, ldb: hidden, c: w.storage.pointer, ldc: hidden)
                dW = w
            }
            withExtendedLifetime((gates, hs, cs, tanhCells, weightHH, hidden0, cell0, dHs)) {}
            return [inputGates.needsGradient ? dGates : nil, dW, hidden0.needsGradient ? dh : nil, cell0.needsGradient ? dc : nil]
        }
        // After the record: the profiler charges an op the time before its record.
        let lastCell = cs.sliced(axis: 0, (time - 1)..<time).reshaped([batch, hidden])
        return (output, lastCell)
    }

    /// ``lstmLayer(inputGates:weightHH:hidden0:cell0:)`` step by step in differentiable ops: the
    /// reference the tests compare against and what a recorded backward pass differentiates.
    public static func lstmLayerComposite(inputGates: Tensor, weightHH: Tensor, hidden0: Tensor, cell0: Tensor) -> Tensor {
        let (time, batch, hidden) = (inputGates.shape[0], inputGates.shape[1], weightHH.shape[1])
        var h = hidden0, c = cell0, outputs: [Tensor] = []
        for t in 0..<time {
            let g = inputGates.sliced(axis: 0, t..<(t + 1)).reshaped([batch, 4 * hidden]) + h.matmul(weightHH, transposeOther: true)
            let hc = lstmCellComposite(gates: g, cell: c)
            h = hc.sliced(axis: 1, 0..<1).reshaped([batch, hidden])
            c = hc.sliced(axis: 1, 1..<2).reshaped([batch, hidden])
            outputs.append(h)
        }
        return Tensor.stack(outputs, axis: 0)
    }

    /// The adjoint through the composite formula, recorded (a second-order pass differentiates it).
    static func lstmLayerBackwardRecorded(_ xg: Tensor, _ w: Tensor, _ h0: Tensor, _ c0: Tensor, _ g: Tensor) -> [Tensor?] {
        let inputs = [xg, w, h0, c0].map { $0.requiresGrad ? $0 : $0.requiringGrad() }
        return gradients(of: lstmLayerComposite(inputGates: inputs[0], weightHH: inputs[1], hidden0: inputs[2], cell0: inputs[3]),
                         with: inputs, seed: g, createGraph: true)
    }
}
