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
        self.dropout.batchAxis = 1  // between layers on [time, batch, hidden]
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

    /// The last layer's outputs `[batch, time, hidden]` and the states after the last step
    /// (`batch_first=True`).
    public func callAsFunction(_ x: Tensor, state: State? = nil) -> (output: Tensor, state: State) {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "[LSTM] input \(x.shape) should be [batch, time, \(inputSize)]")
        let (output, next) = self(sequence: x.permuted([1, 0, 2]), state: state)
        return (output.permuted([1, 0, 2]), next)
    }

    /// The same, time-major: `x` is `[time, batch, features]`, or with `inputGates` the first
    /// layer's input half of the gates, `x·W_ih_l0ᵀ` (`[time, batch, 4·hidden]`), computed by the
    /// caller (a character model looks them up in the product of its embedding and `W_ih_l0`).
    /// Each layer is one ``Tensor/lstmLayer(inputGates:weightHH:hidden0:cell0:)``: the input
    /// halves of all steps in one product, the recurrence and its backward pass in one op.
    public func callAsFunction(sequence x: Tensor, state: State? = nil, inputGates: Bool = false) -> (output: Tensor, state: State) {
        let (time, batch) = (x.shape[0], x.shape[1])
        precondition(x.rank == 3 && time >= 1 && x.shape[2] == (inputGates ? 4 * hiddenSize : inputSize),
                     "[LSTM] sequence \(x.shape) should be [time, batch, \(inputGates ? 4 * hiddenSize : inputSize)]")
        var state = state ?? zeroState(batch: batch)
        var input = x
        for l in 0..<layers {
            let flat = input.reshaped([time * batch, input.shape[2]])
            let bias = biasIH[l].value + biasHH[l].value
            // A layer's own input product takes the bias in its GEMM's epilogue (the values of the
            // product and the add, a pass fewer); the first layer's given gates add it apart.
            let gates = (inputGates && l == 0) ? flat + bias : flat.linear(weight: weightIH[l].value, bias: bias)
            let (hidden, lastCell) = Tensor.lstmLayer(inputGates: gates.reshaped([time, batch, 4 * hiddenSize]), weightHH: weightHH[l].value,
                                                      hidden0: state.hidden[l], cell0: state.cell[l])
            state.hidden[l] = hidden.sliced(axis: 0, (time - 1)..<time).reshaped([batch, hiddenSize])
            state.cell[l] = lastCell
            input = l < layers - 1 ? dropout.forward(hidden) : hidden
        }
        return (input, state)
    }
}
