import DeepGen
import DeepGenNN

/// A network over character ids that ``TextModel`` trains, samples and scores: the GPT or the
/// char-rnn LSTM.
public protocol CharacterNetwork: Module {
    /// Logits `[batch·time, vocabulary]` of the next character after each position of `ids`
    /// (`batch` rows of `time` ids, row-major), every row starting from nothing.
    func logits(_ ids: [Int], batch: Int, time: Int) -> Tensor
    /// An empty state for generating one sequence (a key/value cache, an LSTM's state).
    func startGeneration() -> AnyObject
    /// Logits `[1, vocabulary]` of the character after `ids`, which are appended to `state`: each
    /// new character costs one position, not a pass over what came before.
    func logits(appending ids: [Int], to state: AnyObject) -> Tensor
    /// How many positions a state can hold (the GPT's block size); `nil` for no limit.
    var contextLimit: Int? { get }
}

extension GPT: CharacterNetwork {
    public func startGeneration() -> AnyObject { GPTCache(layers: transformer.h.count) }

    public func logits(appending ids: [Int], to state: AnyObject) -> Tensor {
        logits(appending: ids, to: state as! GPTCache)
    }

    public var contextLimit: Int? { blockSize }
}
