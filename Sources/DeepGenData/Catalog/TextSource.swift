import DeepGen
import Foundation

/// `shakespeare` (tiny Shakespeare, shipped with DeepGen) and `text:PATH` (any UTF-8 file, or
/// a `.gz` of one): windows of characters for the text models, the first 90% training and the
/// last 10% validating.
public enum TextSource: DatasetSource {
    public static let names = ["shakespeare", "tinyshakespeare", "text"]
    public static let usage = "shakespeare, text:PATH"
    public static let summary = "characters of a UTF-8 text: tiny Shakespeare (1,115,394 characters, public domain; shipped) or any file"
    public static let sampleKind = SampleKind.text
    /// The context length when a model does not ask for one (shorter for a text too short for it).
    public static let defaultContext = 256
    static let shakespeareFile = "tinyshakespeare.txt.gz"

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        let corpus: TextCorpus
        if spec.name == "text" {
            guard let path = spec.classes?.joined(separator: ",") else { throw DataError.invalidArgument("text needs a file: text:PATH") }
            corpus = try TextCorpus(contentsOf: URL(fileURLWithPath: path))
        } else {
            guard spec.classes == nil else { throw DataError.invalidArgument("shakespeare takes nothing after ':' (text:PATH reads another file)") }
            guard let url = BundledResource.url(shakespeareFile) else {
                throw DataError.notFound(what: "tiny Shakespeare (\(shakespeareFile), shipped with DeepGen)", searched: BundledResource.searchFolders.map(\.path))
            }
            corpus = try TextCorpus(contentsOf: url)
        }
        // Without a model's request, the default context, shortened to fit a short text's splits.
        let context = request.sequenceLength
            ?? Swift.max(1, Swift.min(defaultContext, corpus.range(of: .train).count - 1, corpus.range(of: .test).count - 1))
        return try TextWindows(corpus: corpus, split: split, length: context + 1, sequential: split == .test)
    }
}
