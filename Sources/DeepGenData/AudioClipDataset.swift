import DeepGen

/// A dataset of labelled audio clips, which audio models train on: each sample is one clip's
/// fixed-length window (``AudioWindow``: `values` has `windowLength` samples and
/// `sampleShape` is `[1, windowLength]`; `label` the class, `secondLabel` the speaker where the
/// set has speakers), and ``clip(at:)`` gives the whole clip, for evaluation.
public protocol AudioClipDataset: Dataset {
    /// Samples per second of every clip.
    var sampleRate: Int { get }
    /// Samples per training window.
    var windowLength: Int { get }
    /// Whether windows are the fixed evaluation ones (else drawn at random).
    var sequential: Bool { get }
    /// The whole clip `index` (in `0..<count`) with its labels.
    func clip(at index: Int) throws -> LabelledClip
    /// The class names, indexed by label; `nil` where clips have no classes.
    var classNames: [String]? { get }
    /// The speaker names, indexed by speaker; `nil` where speakers are unknown.
    var speakerNames: [String]? { get }
}

extension AudioClipDataset {
    public var sampleShape: [Int] { [1, windowLength] }
}

/// Clips held in memory (read from files once, when the dataset is made), as windows of
/// `windowLength` samples.
public struct AudioClips: AudioClipDataset {
    public let clips: [LabelledClip]
    public let sampleRate: Int
    public let windowLength: Int
    public let sequential: Bool
    public let classNames: [String]?
    public let speakerNames: [String]?
    public let classLabels: [Int]?

    /// - Parameters:
    ///   - clips: the clips, all at `sampleRate`.
    ///   - classLabels: the labels that occur (ascending), `nil` where labels mean nothing.
    /// - Throws: ``DataError/invalidArgument(_:)`` for no clips, a non-positive window or rate,
    ///   or a clip at another rate.
    public init(clips: [LabelledClip], sampleRate: Int, windowLength: Int, sequential: Bool,
                classNames: [String]? = nil, speakerNames: [String]? = nil, classLabels: [Int]? = nil) throws {
        guard !clips.isEmpty else { throw DataError.invalidArgument("an audio dataset needs at least one clip") }
        guard sampleRate > 0, windowLength > 0 else {
            throw DataError.invalidArgument("audio windows need a positive length and sample rate (got \(windowLength) samples at \(sampleRate) Hz)")
        }
        if let odd = clips.first(where: { $0.clip.sampleRate != sampleRate }) {
            throw DataError.invalidArgument("\(odd.name) is at \(odd.clip.sampleRate) Hz, the dataset at \(sampleRate) Hz")
        }
        self.clips = clips
        self.sampleRate = sampleRate
        self.windowLength = windowLength
        self.sequential = sequential
        self.classNames = classNames
        self.speakerNames = speakerNames
        self.classLabels = classLabels
    }

    /// The same clips with another window length or placement.
    public func with(windowLength: Int? = nil, sequential: Bool? = nil) throws -> AudioClips {
        try AudioClips(clips: clips, sampleRate: sampleRate, windowLength: windowLength ?? self.windowLength,
                       sequential: sequential ?? self.sequential, classNames: classNames, speakerNames: speakerNames,
                       classLabels: classLabels)
    }

    public var count: Int { clips.count }

    public func clip(at index: Int) throws -> LabelledClip {
        checkIndex(index)
        return clips[index]
    }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        return AudioWindow.sample(of: clips[index], length: windowLength, sequential: sequential, using: &rng)
    }
}
