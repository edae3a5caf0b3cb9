import DeepGen
import DeepGenNN

/// The classic char-rnn (Karpathy 2015) in the layout of its PyTorch ports: a character
/// embedding (`encoder`), a multi-layer LSTM (`rnn`, PyTorch's `nn.LSTM` names) and a linear
/// layer to the vocabulary (`decoder`).
public final class CharRNN: Module, CharacterNetwork {
    public let encoder: Embedding
    public let rnn: LSTM
    public let decoder: Linear

    public init(vocabulary: Int, embedding: Int, hiddenSize: Int, layers: Int, dropout: Float, using rng: inout RandomGenerator) {
        encoder = Embedding(vocabulary, embedding, using: &rng)
        rnn = LSTM(embedding, hiddenSize, layers: layers, dropout: dropout, using: &rng)
        decoder = Linear(hiddenSize, vocabulary, using: &rng)
    }

    public func logits(_ ids: [Int], batch: Int, time: Int) -> Tensor {
        let (output, _) = rnn(sequence: inputGates(ids, batch: batch, time: time), inputGates: true)
        // Time-major logits back to the rows' order, batch-major.
        return decoder.forward(output.reshaped([time * batch, rnn.hiddenSize])).reshaped([time, batch, -1])
            .permuted([1, 0, 2]).reshaped([batch * time, -1])
    }

    /// The first LSTM layer's input gates `[time, batch, 4·hidden]`: an embedding followed by
    /// `W_ih_l0` is a lookup in their product, so rows of one `[vocabulary, 4·hidden]` table replace
    /// the product (the gradient reaches both through it).
    func inputGates(_ ids: [Int], batch: Int, time: Int, table given: Tensor? = nil) -> Tensor {
        let table = given ?? inputGateTable()
        let timeMajor = (0..<(time * batch)).map { ids[($0 % batch) * time + $0 / batch] }
        return table.gatheringRows(timeMajor).reshaped([time, batch, 4 * rnn.hiddenSize])
    }

    func inputGateTable() -> Tensor { encoder.weight.value.matmul(rnn.weightIH[0].value, transposeOther: true) }

    /// The LSTM's state between generation steps.
    final class GenerationState {
        var state: LSTM.State?
        /// The input-gate table, made once per sequence (the weights do not change while sampling).
        var table: Tensor?
    }

    public func startGeneration() -> AnyObject { GenerationState() }

    public func logits(appending ids: [Int], to state: AnyObject) -> Tensor {
        let s = state as! GenerationState
        if s.table == nil { s.table = inputGateTable() }
        let (output, next) = rnn(sequence: inputGates(ids, batch: 1, time: ids.count, table: s.table), state: s.state, inputGates: true)
        s.state = next
        return decoder.forward(output.sliced(axis: 0, (ids.count - 1)..<ids.count).reshaped([1, rnn.hiddenSize]))
    }

    public var contextLimit: Int? { nil }
}
