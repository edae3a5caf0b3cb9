import DeepGen
import DeepGenNN

/// A character-level GPT in the layout of the standard minimal GPT (nanoGPT's `model.py`), so
/// its `state_dict` names are that code's: `transformer.wte`, `transformer.wpe`,
/// `transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}`,
/// `transformer.ln_f`; the output layer is tied to `transformer.wte` (nanoGPT's `lm_head.weight`
/// is the same tensor, so it is not stored twice).
public final class GPT: Module {
    public let transformer: GPTTransformer
    public let blockSize: Int
    public let heads: Int

    /// nanoGPT's initialization: weights N(0, 0.02), the residual projections (`c_proj`)
    /// N(0, 0.02/√(2·layers)), biases zero, LayerNorm weights one.
    public init(vocabulary: Int, blockSize: Int, layers: Int, heads: Int, embedding: Int, dropout: Float, bias: Bool,
                using rng: inout RandomGenerator) {
        precondition(embedding % heads == 0, "[GPT] embedding \(embedding) is not a multiple of \(heads) heads")
        self.blockSize = blockSize
        self.heads = heads
        transformer = GPTTransformer(vocabulary: vocabulary, blockSize: blockSize, layers: layers, heads: heads, embedding: embedding,
                                     dropout: dropout, bias: bias, using: &rng)
    }

    public var vocabularySize: Int { transformer.wte.weight.shape[0] }
    public var embedding: Int { transformer.wte.weight.shape[1] }

    /// Logits `[batch·time, vocabulary]` of the next character after each position of `ids`
    /// (`batch` rows of `time` ids, row-major).
    public func logits(_ ids: [Int], batch: Int, time: Int) -> Tensor {
        precondition(ids.count == batch * time && time <= blockSize, "[GPT] \(ids.count) ids as \(batch)×\(time) (block size \(blockSize))")
        var x = embed(ids, batch: batch, positions: 0..<time)
        for block in transformer.h { x = block(x, heads: heads, cache: nil) }
        return head(x)
    }

    /// Token plus position embeddings `[batch, positions, embedding]`, with embedding dropout.
    func embed(_ ids: [Int], batch: Int, positions: Range<Int>) -> Tensor {
        let c = embedding, t = positions.count
        let tokens = transformer.wte(ids).reshaped([batch, t, c])
        let places = transformer.wpe(Array(positions)).reshaped([1, t, c])
        return transformer.drop.forward(tokens + places)
    }

    /// The final LayerNorm and the tied output layer: `[batch·time, vocabulary]`.
    func head(_ x: Tensor) -> Tensor {
        transformer.lnF.forward(x).reshaped([-1, embedding]).matmul(transformer.wte.weight.value, transposeOther: true)
    }

    /// Logits of the next character after `ids` (one sequence, appended to `cache`): one position
    /// per layer for each new id, the keys and values of earlier ones read from the cache.
    public func logits(appending ids: [Int], to cache: GPTCache) -> Tensor {
        precondition(cache.length + ids.count <= blockSize, "[GPT] the cache holds \(cache.length) of \(blockSize) positions; \(ids.count) more do not fit")
        var x = embed(ids, batch: 1, positions: cache.length..<(cache.length + ids.count))
        for (i, block) in transformer.h.enumerated() { x = block(x, heads: heads, cache: (cache, i)) }
        cache.length += ids.count
        return head(x.sliced(axis: 1, (ids.count - 1)..<ids.count))
    }
}

/// Keys and values of the positions a sequence has run through, per layer (`[1, heads, time, head]`).
public final class GPTCache {
    public internal(set) var length = 0
    var keys: [Tensor?]
    var values: [Tensor?]

    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }
}

/// nanoGPT's `transformer` module dictionary.
public final class GPTTransformer: Module {
    public let wte: Embedding
    public let wpe: Embedding
    public let drop: Dropout
    public let h: [GPTBlock]
    public let lnF: LayerNorm

    init(vocabulary: Int, blockSize: Int, layers: Int, heads: Int, embedding: Int, dropout: Float, bias: Bool,
         using rng: inout RandomGenerator) {
        wte = Embedding(vocabulary, embedding, using: &rng)
        wpe = Embedding(blockSize, embedding, using: &rng)
        wte.weight.value = wte.weight.value * 0.02
        wpe.weight.value = wpe.weight.value * 0.02
        drop = Dropout(dropout, seed: rng.next())
        h = (0..<layers).map { _ in GPTBlock(embedding: embedding, layers: layers, dropout: dropout, bias: bias, using: &rng) }
        lnF = LayerNorm(embedding, bias: bias)
    }
}

/// A pre-LayerNorm transformer block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
public final class GPTBlock: Module {
    // Named as nanoGPT names them (`ln_1`, not `ln1`), which the state_dict keys follow.
    public let ln_1: LayerNorm
    public let attn: CausalSelfAttention
    public let ln_2: LayerNorm
    public let mlp: GPTMLP

    init(embedding: Int, layers: Int, dropout: Float, bias: Bool, using rng: inout RandomGenerator) {
        ln_1 = LayerNorm(embedding, bias: bias)
        attn = CausalSelfAttention(embedding: embedding, layers: layers, dropout: dropout, bias: bias, using: &rng)
        ln_2 = LayerNorm(embedding, bias: bias)
        mlp = GPTMLP(embedding: embedding, layers: layers, dropout: dropout, bias: bias, using: &rng)
    }

    func callAsFunction(_ x: Tensor, heads: Int, cache: (GPTCache, Int)?) -> Tensor {
        let y = x + attn(ln_1.forward(x), heads: heads, cache: cache)
        return y + mlp(ln_2.forward(y))
    }
}

/// Multi-head causal self-attention: one projection to queries, keys and values (`c_attn`), the
/// attention primitive, the output projection (`c_proj`) and residual dropout.
public final class CausalSelfAttention: Module {
    public let cAttn: Linear
    public let cProj: Linear
    /// nanoGPT's `attn_dropout`: on the attention probabilities (inside the attention primitive).
    public let attnDropout: Dropout
    public let residDropout: Dropout

    init(embedding: Int, layers: Int, dropout: Float, bias: Bool, using rng: inout RandomGenerator) {
        cAttn = gptLinear(embedding, 3 * embedding, bias: bias, std: 0.02, using: &rng)
        cProj = gptLinear(embedding, embedding, bias: bias, std: 0.02 / Float(2 * layers).squareRoot(), using: &rng)
        let seed = rng.next()
        residDropout = Dropout(dropout, seed: seed)
        // Its own stream from the same draw, so the weights' draws are those of a model without it.
        attnDropout = Dropout(dropout, seed: seed ^ 0xA77E_D80B_0A77_ED80)
    }

    func callAsFunction(_ x: Tensor, heads: Int, cache: (GPTCache, Int)?) -> Tensor {
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let packed = cAttn.forward(x)
        guard let (store, layer) = cache else {
            // Training and scoring: the heads are read from and written to the projections in place.
            let mask = attnDropout.isTraining && attnDropout.p > 0 ? attnDropout.mask([b * heads, t, t]) : nil
            return residDropout.forward(cProj.forward(Tensor.causalSelfAttention(packed: packed, heads: heads, dropoutMask: mask)))
        }
        // Generation: this step's keys and values join the cached ones.
        let (q, newK, newV) = Tensor.splitHeads(packed, heads: heads)
        var k = newK, v = newV
        if let pastK = store.keys[layer], let pastV = store.values[layer] {
            k = Tensor.concat([pastK, k], axis: 2)
            v = Tensor.concat([pastV, v], axis: 2)
        }
        store.keys[layer] = k
        store.values[layer] = v
        let mask = attnDropout.isTraining && attnDropout.p > 0
            ? attnDropout.mask([b * heads, t, k.shape[2]]) : nil
        let y = Tensor.causalAttention(query: q, key: k, value: v, dropoutMask: mask).permuted([0, 2, 1, 3]).reshaped([b, t, c])
        return residDropout.forward(cProj.forward(y))
    }
}

/// The block's MLP: `c_fc` to four times the width, GELU, `c_proj` back, dropout.
public final class GPTMLP: Module {
    public let cFc: Linear
    public let cProj: Linear
    public let dropout: Dropout

    init(embedding: Int, layers: Int, dropout: Float, bias: Bool, using rng: inout RandomGenerator) {
        cFc = gptLinear(embedding, 4 * embedding, bias: bias, std: 0.02, using: &rng)
        cProj = gptLinear(4 * embedding, embedding, bias: bias, std: 0.02 / Float(2 * layers).squareRoot(), using: &rng)
        self.dropout = Dropout(dropout, seed: rng.next())
    }

    func callAsFunction(_ x: Tensor) -> Tensor { dropout.forward(cProj.forward(cFc.forward(x, activation: .gelu))) }
}

/// A Linear layer initialized as nanoGPT does: weight N(0, std), bias zero.
func gptLinear(_ inputs: Int, _ outputs: Int, bias: Bool, std: Float, using rng: inout RandomGenerator) -> Linear {
    let layer = Linear(inputs, outputs, bias: bias, using: &rng)
    layer.weight.value = Tensor.normal([outputs, inputs], using: &rng) * std
    if let b = layer.bias { b.value = Tensor(zeros: [outputs]) }
    return layer
}
