import DeepGenKernels
import Foundation

extension Tensor {
    /// One LSTM step from its gate pre-activations `[batch, 4·hidden]` (PyTorch's gate order
    /// input, forget, cell, output: `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`) and the previous cell
    /// `[batch, hidden]`: `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
    ///
    /// Returns `[batch, 2, hidden]`, `h'` then `c'` (one op has one output): the four gate
    /// nonlinearities, both products and the output's tanh are one pass each way instead of a
    /// dozen elementwise ops. A recorded backward pass (`createGraph`) uses the composite formula.
    public static func lstmCell(gates: Tensor, cell: Tensor) -> Tensor {
        precondition(gates.rank == 2 && cell.rank == 2 && gates.shape[0] == cell.shape[0] && gates.shape[1] == 4 * cell.shape[1],
                     "[lstmCell] gates must be [batch, 4·hidden] and the cell [batch, hidden], got \(gates.shape) and \(cell.shape)")
        let batch = cell.shape[0], hidden = cell.shape[1]
        let out = Tensor(uninitializedShape: [batch, 2, hidden])
        let pg = gates.storage.pointer, pc = cell.storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(batch, minChunk: Swift.max(1, 4096 / Swift.max(hidden, 1))) { _, r in
            for b in r {
                LSTMKernels.forward(gates: pg + b * 4 * hidden, cell: pc + b * hidden, hiddenOut: po + b * 2 * hidden,
                                    cellOut: po + b * 2 * hidden + hidden, hidden: hidden)
            }
        }
        return record("lstmCell", out, inputs: [gates, cell]) { upstream in
            if GradMode.isEnabled { return lstmCellBackwardRecorded(gates, cell, upstream) }
            let dGates = Tensor(uninitializedShape: gates.shape), dCell = Tensor(uninitializedShape: cell.shape)
            let pu = upstream.storage.pointer, pdg = dGates.storage.pointer, pdc = dCell.storage.pointer
            Parallel.forEachChunk(batch, minChunk: Swift.max(1, 4096 / Swift.max(hidden, 1))) { _, r in
                for b in r {
                    LSTMKernels.backward(gates: pg + b * 4 * hidden, cell: pc + b * hidden, cellOut: po + b * 2 * hidden + hidden,
                                         dHidden: pu + b * 2 * hidden, dCellOut: pu + b * 2 * hidden + hidden,
                                         dGates: pdg + b * 4 * hidden, dCell: pdc + b * hidden, hidden: hidden)
                }
            }
            withExtendedLifetime((gates, cell, out, upstream)) {}
            return [gates.needsGradient ? dGates : nil, cell.needsGradient ? dCell : nil]
        }
    }

    /// ``lstmCell(gates:cell:)`` in differentiable tensor ops: the reference the tests compare
    /// against and what a recorded backward pass differentiates.
    public static func lstmCellComposite(gates: Tensor, cell: Tensor) -> Tensor {
        let hidden = cell.shape[1]
        let i = gates.sliced(axis: 1, 0..<hidden).sigmoid(), f = gates.sliced(axis: 1, hidden..<(2 * hidden)).sigmoid()
        let g = gates.sliced(axis: 1, (2 * hidden)..<(3 * hidden)).tanh(), o = gates.sliced(axis: 1, (3 * hidden)..<(4 * hidden)).sigmoid()
        let next = f * cell + i * g
        return Tensor.stack([o * next.tanh(), next], axis: 1)
    }

    /// The adjoint in differentiable ops, for a recorded backward pass.
    static func lstmCellBackwardRecorded(_ gates: Tensor, _ cell: Tensor, _ upstream: Tensor) -> [Tensor?] {
        let hidden = cell.shape[1]
        let i = gates.sliced(axis: 1, 0..<hidden).sigmoid(), f = gates.sliced(axis: 1, hidden..<(2 * hidden)).sigmoid()
        let g = gates.sliced(axis: 1, (2 * hidden)..<(3 * hidden)).tanh(), o = gates.sliced(axis: 1, (3 * hidden)..<(4 * hidden)).sigmoid()
        let t = (f * cell + i * g).tanh()
        let dh = upstream.sliced(axis: 1, 0..<1).reshaped(cell.shape), dcOut = upstream.sliced(axis: 1, 1..<2).reshaped(cell.shape)
        let dNext = dcOut + dh * o * (1 - t * t)
        let dGates = Tensor.concat([dNext * g * i * (1 - i), dNext * cell * f * (1 - f), dNext * i * (1 - g * g), dh * t * o * (1 - o)], axis: 1)
        return [dGates, dNext * f]
    }

}

/// One sequence's LSTM cell step, 16 units per vector (the tail a partial vector).
enum LSTMKernels {
    typealias V = SIMD16<Float>

    /// Through ``PartialVector``: a lane-by-lane tail here made LLVM compute the whole cell lane by
    /// lane (28% of a char-rnn step on an Intel Xeon).
    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ n: Int) -> V { PartialVector.load(p, n) }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ n: Int) { PartialVector.store(v, p, n) }

    @_transparent static func tanh(_ x: V) -> V { VectorMath.tanh(x) }

    /// σ(i), σ(f), tanh(g), σ(o) of units `j ..< j + n` of one row's gate pre-activations.
    @inline(__always) static func activate(_ g: UnsafePointer<Float>, _ j: Int, _ n: Int, _ hidden: Int) -> (V, V, V, V) {
        (Tensor.sigmoidVector(load(g + j, n)), Tensor.sigmoidVector(load(g + hidden + j, n)),
         tanh(load(g + 2 * hidden + j, n)), Tensor.sigmoidVector(load(g + 3 * hidden + j, n)))
    }

    /// One row: `hiddenOut = σ(o)·tanh(cellOut)`, `cellOut = σ(f)·cell + σ(i)·tanh(g)`.
    static func forward(gates g: UnsafePointer<Float>, cell c: UnsafePointer<Float>, hiddenOut: UnsafeMutablePointer<Float>,
                        cellOut: UnsafeMutablePointer<Float>, hidden: Int) {
        var j = 0
        while j < hidden {
            let n = Swift.min(16, hidden - j)
            let (i, f, cand, o) = activate(g, j, n, hidden)
            let next = f * load(c + j, n) + i * cand
            store(o * tanh(next), hiddenOut + j, n)
            store(next, cellOut + j, n)
            j += n
        }
    }

    /// ``forward(gates:cell:hiddenOut:cellOut:hidden:)`` that also keeps what the backward pass
    /// needs: the activated gates σ(i), σ(f), tanh(g), σ(o) replace their pre-activations in
    /// `gates`, and tanh(c') goes to `tanhCell`, so ``backward(activations:cell:tanhCell:dHidden:dCellOut:dGates:dCell:hidden:)``
    /// evaluates no exponential (they were half of a char-rnn step's elementwise work).
    static func forwardKeeping(gates g: UnsafeMutablePointer<Float>, cell c: UnsafePointer<Float>, hiddenOut: UnsafeMutablePointer<Float>,
                               cellOut: UnsafeMutablePointer<Float>, tanhCell: UnsafeMutablePointer<Float>, hidden: Int) {
        var j = 0
        while j < hidden {
            let n = Swift.min(16, hidden - j)
            let (i, f, cand, o) = activate(g, j, n, hidden)
            let next = f * load(c + j, n) + i * cand
            let t = tanh(next)
            store(o * t, hiddenOut + j, n)
            store(next, cellOut + j, n)
            store(t, tanhCell + j, n)
            store(i, g + j, n); store(f, g + hidden + j, n); store(cand, g + 2 * hidden + j, n); store(o, g + 3 * hidden + j, n)
            j += n
        }
    }

    /// Units `j ..< j + n` of one row's adjoint from the activations, t = tanh(c') and both
    /// outputs' gradients: the gates' gradients to `dg`, the previous cell's to `dc`.
    @inline(__always)
    static func storeAdjoint(_ i: V, _ f: V, _ cand: V, _ o: V, _ t: V, cell c: UnsafePointer<Float>, dHidden: UnsafePointer<Float>,
                             dCellOut: UnsafePointer<Float>, dg: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                             _ j: Int, _ n: Int, _ hidden: Int) {
        let dh = load(dHidden + j, n)
        let dNext = load(dCellOut + j, n) + dh * o * (1 - t * t)
        store(dNext * cand * i * (1 - i), dg + j, n)
        store(dNext * load(c + j, n) * f * (1 - f), dg + hidden + j, n)
        store(dNext * i * (1 - cand * cand), dg + 2 * hidden + j, n)
        store(dh * t * o * (1 - o), dg + 3 * hidden + j, n)
        store(dNext * f, dc + j, n)
    }

    /// The adjoint from ``forwardKeeping(gates:cell:hiddenOut:cellOut:tanhCell:hidden:)``'s kept
    /// values: the same products as ``backward(gates:cell:cellOut:dHidden:dCellOut:dGates:dCell:hidden:)``
    /// on the same numbers, so the results are equal bit for bit.
    static func backward(activations a: UnsafePointer<Float>, cell c: UnsafePointer<Float>, tanhCell: UnsafePointer<Float>,
                         dHidden: UnsafePointer<Float>, dCellOut: UnsafePointer<Float>,
                         dGates dg: UnsafeMutablePointer<Float>, dCell dc: UnsafeMutablePointer<Float>, hidden: Int) {
        var j = 0
        while j < hidden {
            let n = Swift.min(16, hidden - j)
            storeAdjoint(load(a + j, n), load(a + hidden + j, n), load(a + 2 * hidden + j, n), load(a + 3 * hidden + j, n),
                         load(tanhCell + j, n), cell: c, dHidden: dHidden, dCellOut: dCellOut, dg: dg, dc: dc, j, n, hidden)
            j += n
        }
    }

    /// One row's adjoint: the gates' and the previous cell's gradients from those of both outputs.
    static func backward(gates g: UnsafePointer<Float>, cell c: UnsafePointer<Float>, cellOut: UnsafePointer<Float>,
                         dHidden: UnsafePointer<Float>, dCellOut: UnsafePointer<Float>,
                         dGates dg: UnsafeMutablePointer<Float>, dCell dc: UnsafeMutablePointer<Float>, hidden: Int) {
        var j = 0
        while j < hidden {
            let n = Swift.min(16, hidden - j)
            let (i, f, cand, o) = activate(g, j, n, hidden)
            storeAdjoint(i, f, cand, o, tanh(load(cellOut + j, n)), cell: c, dHidden: dHidden, dCellOut: dCellOut, dg: dg, dc: dc, j, n, hidden)
            j += n
        }
    }
}
