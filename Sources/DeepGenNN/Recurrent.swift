import DeepGen

/// A multi-layer LSTM over `[batch, time, features]` (PyTorch's `nn.LSTM(..., batch_first=True)`,
/// with its parameter names `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, … and
/// its initialization U(−1/√hidden, 1/√hidden)); dropout on the outputs of every layer but the
/// last, in training.
public final class LSTM: Module {
    public let inputSize: Int
    public let hiddenSize: Int
    public let layers: Int
    public let weightIH: [Parameter]
    let weightHH: [Parameter]
    let biasIH: [Parameter]
    let biasHH: [Parameter]
    public let dropout: Dropout

    public init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, dropout: Float = 0, using rng: inout RandomGenerator) {
        precondition(layers >= 1 && hiddenSize >= 1, "[LSTM] needs at least one layer of at least one unit")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        let bound = 1 / Float(hiddenSize).squareRoot()
        func uniform(_ shape: [Int]) -> Parameter { Parameter(Tensor.uniform(shape, low: -bound, high: bound, using: &rng)) }
        var ih: [Parameter] = [], hh: [Parameter] = [], bih: [Parameter] = [], bhh: [Parameter] = []
        for l in 0..<layers {
            ih.append(uniform([4 * hiddenSize, l == 0 ? inputSize : hiddenSize]))
            hh.append(uniform([4 * hiddenSize, hiddenSize]))
            bih.append(uniform([4 * hiddenSize]))
            bhh.append(uniform([4 * hiddenSize]))
        }
        (weightIH, weightHH, biasIH, biasHH) = (ih, hh, bih, bhh)
        self.dropout = Dropout(dropout, seed: rng.next())
    }

    public override var localParameters: [(String, Parameter)] {
        (0..<layers).flatMap { l in
            [("weight_ih_l\(l)", weightIH[l]), ("weight_hh_l\(l)", weightHH[l]), ("bias_ih_l\(l)", biasIH[l]), ("bias_hh_l\(l)", biasHH[l])]
        }
    }

    /// The hidden and cell states of every layer, `[batch, hidden]` each.
    public struct State {
        public var hidden: [Tensor]
        public var cell: [Tensor]
    }

    /// Zero states for `batch` sequences.
    public func zeroState(batch: Int) -> State {
        State(hidden: Array(repeating: Tensor(zeros: [batch, hiddenSize]), count: layers),
              cell: Array(repeating: Tensor(zeros: [batch, hiddenSize]), count: layers))
    }

    /// The last layer's outputs `[batch, time, hidden]` and the states after the last step.
    public func callAsFunction(_ x: Tensor, state: State? = nil) -> (output: Tensor, state: State) {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "[LSTM] input \(x.shape) should be [batch, time, \(inputSize)]")
        let steps = (0..<x.shape[1]).map { x.sliced(axis: 1, $0..<($0 + 1)).reshaped([x.shape[0], inputSize]) }
        let (outputs, next) = self(steps: steps, state: state)
        return (Tensor.stack(outputs, axis: 1), next)
    }

    /// The same over a sequence given step by step (`[batch, features]` each): the last layer's
    /// output at every step and the states after the last.
    ///
    /// Steps stay separate tensors throughout: a step sliced out of a `[batch, time, …]` tensor
    /// would have a gradient the size of the whole sequence, and the backward pass would write
    /// time² values.
    ///
    /// With `inputGates`, the steps are the first layer's input halves of the gates,
    /// `x·W_ih_l0ᵀ` (`[batch, 4·hidden]` each), computed by the caller (a character model looks
    /// them up in the product of its embedding and `W_ih_l0`, with no per-step product).
    public func callAsFunction(steps: [Tensor], state: State? = nil, inputGates: Bool = false) -> (outputs: [Tensor], state: State) {
        precondition(!steps.isEmpty, "[LSTM] no steps")
        let batch = steps[0].shape[0]
        var state = state ?? zeroState(batch: batch)
        var inputs = steps
        for l in 0..<layers {
            let bias = biasIH[l].value + biasHH[l].value
            var h = state.hidden[l], c = state.cell[l]
            var outputs: [Tensor] = []
            outputs.reserveCapacity(inputs.count)
            let given = inputGates && l == 0
            for x in inputs {
                precondition(x.rank == 2 && x.shape[0] == batch && x.shape[1] == (given ? 4 * hiddenSize : weightIH[l].shape[1]),
                             "[LSTM] step \(x.shape) should be [\(batch), \(given ? 4 * hiddenSize : weightIH[l].shape[1])]")
                let inputHalf = given ? x : x.matmul(weightIH[l].value, transposeOther: true)
                let gates = inputHalf + h.matmul(weightHH[l].value, transposeOther: true) + bias
                let hc = Tensor.lstmCell(gates: gates, cell: c)
                h = hc.sliced(axis: 1, 0..<1).reshaped([batch, hiddenSize])
                c = hc.sliced(axis: 1, 1..<2).reshaped([batch, hiddenSize])
                outputs.append(l < layers - 1 ? dropout.forward(h) : h)
            }
            state.hidden[l] = h
            state.cell[l] = c
            inputs = outputs
        }
        return (inputs, state)
    }
}
