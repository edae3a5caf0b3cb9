import DeepGen
import Foundation

/// A UTF-8 text as character ids: its vocabulary (the distinct Unicode scalars, in code-point
/// order, as the reference implementations build it from the whole file) and the split the
/// reference implementations use, the first 90% training and the last 10% validation.
public final class TextCorpus: Sendable {
    /// Where the text came from, for messages.
    public let source: String
    /// The distinct characters in code-point order; a character's id is its index.
    public let vocabulary: [Unicode.Scalar]
    /// Every character of the text as its id.
    public let ids: [Int32]
    /// Where the validation text starts: `⌊0.9·count⌋`.
    public let splitIndex: Int

    /// Decodes `bytes` (strict UTF-8) into ids.
    /// - Throws: ``DataError`` for an empty text or bytes that are not UTF-8 (naming the offset).
    public init(bytes: [UInt8], source: String) throws {
        self.source = source
        guard !bytes.isEmpty else { throw DataError.invalidArgument("\(source) is empty: a text model needs text to train on") }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(bytes.count)
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s)
                offset += UTF8.width(s)
            case .emptyInput:
                break decoding
            case .error:
                throw DataError.corrupt(file: source, reason: "not UTF-8 text: invalid byte sequence at byte \(offset) (a text dataset must be UTF-8)")
            }
        }
        let distinct = Set(scalars.map(\.value)).sorted()
        vocabulary = distinct.map { Unicode.Scalar($0)! }
        var index: [UInt32: Int32] = [:]
        for (i, v) in distinct.enumerated() { index[v] = Int32(i) }
        ids = scalars.map { index[$0.value]! }
        splitIndex = Int(Double(scalars.count) * 0.9)
    }

    /// Reads a file, gunzipping it when its name ends in `.gz`.
    public convenience init(contentsOf url: URL) throws {
        var bytes = try FileBytes.read(url)
        if url.pathExtension == "gz" { bytes = try Gzip.decompress(bytes, file: url.path) }
        try self.init(bytes: bytes, source: url.path)
    }

    /// The ids of a split: `0..<splitIndex` (training) or `splitIndex..<count` (validation).
    public func range(of split: DataSplit) -> Range<Int> { split == .train ? 0..<splitIndex : splitIndex..<ids.count }

    /// The vocabulary as one string.
    public var vocabularyString: String { String(String.UnicodeScalarView(vocabulary)) }
}

/// A dataset of text: windows of character ids with a vocabulary, which text models read.
public protocol CharacterDataset: Dataset {
    /// The characters the ids stand for, in id order.
    var vocabulary: String { get }
}

/// Windows of `length` consecutive character ids of one split of a ``TextCorpus``, as floats
/// (exact below 2²⁴): a model reads the first `length − 1` and predicts the last `length − 1`.
///
/// Training windows start at a random offset drawn from the generator the loader hands over
/// (nanoGPT's batches; an epoch is as many windows as fit the split side by side, so it sees
/// about every character once). Evaluation windows (`sequential`) are window `i` at `i·(length
/// − 1)`: every character after the first is predicted exactly once.
public struct TextWindows: CharacterDataset {
    public let corpus: TextCorpus
    public let split: DataSplit
    /// Ids per window: the model's context plus one.
    public let length: Int
    /// Windows side by side instead of at random offsets.
    public let sequential: Bool

    /// - Throws: ``DataError/invalidArgument(_:)`` when either split is shorter than one window
    /// (both are checked, so a run does not start on a text it cannot validate on).
    public init(corpus: TextCorpus, split: DataSplit, length: Int, sequential: Bool) throws {
        precondition(length >= 2, "[TextWindows] windows need at least 2 characters")
        for part in [DataSplit.train, .test] {
            let n = corpus.range(of: part).count
            guard n >= length else {
                throw DataError.invalidArgument("the \(part == .train ? "training text (the first 90%" : "validation text (the last 10%") of \(corpus.source), \(n) characters) is shorter than one window of \(length) characters (the block size plus one): use a longer text or a smaller --block-size")
            }
        }
        self.corpus = corpus
        self.split = split
        self.length = length
        self.sequential = sequential
    }

    /// The same split with the other window placement.
    public func with(sequential: Bool) -> TextWindows {
        try! TextWindows(corpus: corpus, split: split, length: length, sequential: sequential)
    }

    public var count: Int { (corpus.range(of: split).count - 1) / (length - 1) }
    public var sampleShape: [Int] { [length] }
    public var vocabulary: String { corpus.vocabularyString }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        let range = corpus.range(of: split)
        let start = sequential ? index * (length - 1) : Int(rng.next() % UInt64(range.count - length + 1))
        let base = range.lowerBound + start
        return Sample(values: (base..<(base + length)).map { Float(corpus.ids[$0]) }, label: 0)
    }
}
