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
        let x = encoder(ids).reshaped([batch, time, encoder.weight.shape[1]])
        return decoder.forward(rnn(x).output.reshaped([batch * time, rnn.hiddenSize]))
    }

    /// The LSTM's state between generation steps.
    final class GenerationState {
        var state: LSTM.State?
    }

    public func startGeneration() -> AnyObject { GenerationState() }

    public func logits(appending ids: [Int], to state: AnyObject) -> Tensor {
        let s = state as! GenerationState
        let x = encoder(ids).reshaped([1, ids.count, encoder.weight.shape[1]])
        let (output, next) = rnn(x, state: s.state)
        s.state = next
        return decoder.forward(output.sliced(axis: 1, (ids.count - 1)..<ids.count).reshaped([1, rnn.hiddenSize]))
    }

    public var contextLimit: Int? { nil }
}
