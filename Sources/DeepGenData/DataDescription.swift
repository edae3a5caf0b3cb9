/// What one sample of a dataset is.
public enum SampleKind: String, Codable, Sendable, CaseIterable {
    /// An image `[C, H, W]`.
    case image
    /// A point `[D]` (the 2-D mixtures).
    case points
    /// An unnormalized 2-D density `exp(−U)` to fit by reverse KL (`energy:u1`…`u4`); its
    /// samples are base noise `N(0, I)` for the flow to transform.
    case energy
    /// Windows of character ids `[context + 1]` with a vocabulary (`shakespeare`, `text:PATH`).
    case text
    /// Windows of mono audio samples `[1, length]` at a sample rate (`fsdd:PATH`, `audio:PATH`, `tones`).
    case audio

    /// How a message names data of this kind.
    public var noun: String {
        switch self {
        case .image: return "images"
        case .points: return "2-D points"
        case .energy: return "2-D energy functions"
        case .text: return "text"
        case .audio: return "audio"
        }
    }
}

/// What a dataset yields, in the terms a model family states its needs in; recorded with every
/// run so a checkpoint says what its model was trained on.
public struct DataDescription: Codable, Equatable, Sendable {
    public var kind: SampleKind
    /// One sample's shape (one domain's, for two-domain data): `[C, H, W]`, `[2]`, or audio's `[1, length]`.
    public var shape: [Int]
    /// The interval image values are scaled to; `nil` for points.
    public var range: PixelRange?
    /// The class labels that occur, ascending; `nil` where labels mean nothing.
    public var classLabels: [Int]?
    /// 1, or 2 for unpaired two-domain data (each sample one image of each domain).
    public var domains: Int
    /// Text: the characters ids stand for, in id order (saved with the run, so a model samples
    /// and evaluates with the alphabet it learned); `nil` for other data.
    public var vocabulary: String? = nil
    /// Audio: samples per second (saved with the run, so a model generates at the rate it
    /// learned); `nil` for other data.
    public var sampleRate: Int? = nil
    /// The names of the classes, indexed by label, where the data names them (audio sets);
    /// `nil` otherwise.
    public var classNames: [String]? = nil
    /// The names of the speakers, indexed by speaker, where an audio set knows them (fsdd);
    /// `nil` otherwise.
    public var speakerNames: [String]? = nil

    /// The label space a model conditioned on (or classifying) these labels needs: labels
    /// `0..<count`, of which `subset` occur (`nil` when all do; `shapes:circle,cross` keeps 1 and 3).
    public var labelSpace: (count: Int, subset: [Int]?)? {
        guard let labels = classLabels, let last = labels.last else { return nil }
        return (last + 1, labels == Array(0...last) ? nil : labels)
    }

    public init(kind: SampleKind, shape: [Int], range: PixelRange? = nil, classLabels: [Int]? = nil, domains: Int = 1,
                vocabulary: String? = nil, sampleRate: Int? = nil, classNames: [String]? = nil,
                speakerNames: [String]? = nil) {
        self.kind = kind
        self.shape = shape
        self.range = range
        self.classLabels = classLabels
        self.domains = domains
        self.vocabulary = vocabulary
        self.sampleRate = sampleRate
        self.classNames = classNames
        self.speakerNames = speakerNames
    }
}

/// What a model asks of the data it trains on; dataset sources honour it without knowing the model.
public struct DataRequest: Equatable, Sendable {
    /// The interval images are scaled to.
    public var range: PixelRange
    /// 2 asks for two domains: the two classes a spec names (`shapes:square,circle`) or a
    /// `trainA`/`trainB` folder pair become domains A and B.
    public var domains: Int
    /// Text: the context a model reads (windows are one character longer). Audio: the window's
    /// length in samples. `nil` takes the source's default (audio: one second).
    public var sequenceLength: Int?

    public init(range: PixelRange, domains: Int = 1, sequenceLength: Int? = nil) {
        self.range = range
        self.domains = domains
        self.sequenceLength = sequenceLength
    }
}
