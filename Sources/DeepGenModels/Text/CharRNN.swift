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
        let outputs = rnn(steps: inputGateSteps(ids, batch: batch, time: time), inputGates: true).outputs
        return decoder.forward(Tensor.stack(outputs, axis: 1).reshaped([batch * time, rnn.hiddenSize]))
    }

    /// The first LSTM layer's input gates of each time step, `[batch, 4·hidden]` each: an
    /// embedding followed by `W_ih_l0` is a lookup in their product, so rows of one `[vocabulary,
    /// 4·hidden]` table replace a product per step (the gradient reaches both through it).
    func inputGateSteps(_ ids: [Int], batch: Int, time: Int, table given: Tensor? = nil) -> [Tensor] {
        let table = given ?? inputGateTable()
        return (0..<time).map { t in table.gatheringRows((0..<batch).map { ids[$0 * time + t] }) }
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
        let (outputs, next) = rnn(steps: inputGateSteps(ids, batch: 1, time: ids.count, table: s.table), state: s.state, inputGates: true)
        s.state = next
        return decoder.forward(outputs[outputs.count - 1])
    }

    public var contextLimit: Int? { nil }
}
