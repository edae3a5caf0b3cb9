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
                let g = pg + b * 4 * hidden, c = pc + b * hidden, h2 = po + b * 2 * hidden, c2 = h2 + hidden
                for j in 0..<hidden {
                    let i = sigmoidScalar(g[j]), f = sigmoidScalar(g[hidden + j])
                    let cand = Foundation.tanh(g[2 * hidden + j]), o = sigmoidScalar(g[3 * hidden + j])
                    let next = f * c[j] + i * cand
                    c2[j] = next
                    h2[j] = o * Foundation.tanh(next)
                }
            }
        }
        return record("lstmCell", out, inputs: [gates, cell]) { upstream in
            if GradMode.isEnabled { return lstmCellBackwardRecorded(gates, cell, upstream) }
            let dGates = Tensor(uninitializedShape: gates.shape), dCell = Tensor(uninitializedShape: cell.shape)
            let pu = upstream.storage.pointer, pdg = dGates.storage.pointer, pdc = dCell.storage.pointer
            Parallel.forEachChunk(batch, minChunk: Swift.max(1, 4096 / Swift.max(hidden, 1))) { _, r in
                for b in r {
                    let g = pg + b * 4 * hidden, c = pc + b * hidden, next = po + b * 2 * hidden + hidden
                    let dh = pu + b * 2 * hidden, dcOut = dh + hidden, dg = pdg + b * 4 * hidden, dc = pdc + b * hidden
                    for j in 0..<hidden {
                        let i = sigmoidScalar(g[j]), f = sigmoidScalar(g[hidden + j])
                        let cand = Foundation.tanh(g[2 * hidden + j]), o = sigmoidScalar(g[3 * hidden + j])
                        let t = Foundation.tanh(next[j])
                        let dNext = dcOut[j] + dh[j] * o * (1 - t * t)
                        dg[j] = dNext * cand * i * (1 - i)
                        dg[hidden + j] = dNext * c[j] * f * (1 - f)
                        dg[2 * hidden + j] = dNext * i * (1 - cand * cand)
                        dg[3 * hidden + j] = dh[j] * t * o * (1 - o)
                        dc[j] = dNext * f
                    }
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

    @inline(__always)
    static func sigmoidScalar(_ x: Float) -> Float { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
}
