/// A mono recording: samples nominally in [−1, 1] at `sampleRate` samples per second.
public struct AudioClip: Sendable, Equatable {
    public var samples: [Float]
    public var sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// The length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

/// A whole clip of an audio dataset with its labels, for evaluation and previews.
public struct LabelledClip: Sendable, Equatable {
    public var clip: AudioClip
    /// The class index (into ``AudioClipDataset/classNames``), 0 where the set has no classes.
    public var label: Int
    /// The speaker index (into ``AudioClipDataset/speakerNames``), `nil` where speakers are unknown.
    public var speaker: Int?
    /// Where the clip came from, for messages: a file path, or `tones/train/17`.
    public var name: String

    public init(clip: AudioClip, label: Int, speaker: Int? = nil, name: String) {
        self.clip = clip
        self.label = label
        self.speaker = speaker
        self.name = name
    }
}
