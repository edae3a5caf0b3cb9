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
        let outputs = rnn(steps: embedSteps(ids, batch: batch, time: time)).outputs
        return decoder.forward(Tensor.stack(outputs, axis: 1).reshaped([batch * time, rnn.hiddenSize]))
    }

    /// The embeddings of each time step, `[batch, embedding]` each.
    func embedSteps(_ ids: [Int], batch: Int, time: Int) -> [Tensor] {
        (0..<time).map { t in encoder((0..<batch).map { ids[$0 * time + t] }) }
    }

    /// The LSTM's state between generation steps.
    final class GenerationState {
        var state: LSTM.State?
    }

    public func startGeneration() -> AnyObject { GenerationState() }

    public func logits(appending ids: [Int], to state: AnyObject) -> Tensor {
        let s = state as! GenerationState
        let (outputs, next) = rnn(steps: embedSteps(ids, batch: 1, time: ids.count), state: s.state)
        s.state = next
        return decoder.forward(outputs[outputs.count - 1])
    }

    public var contextLimit: Int? { nil }
}
