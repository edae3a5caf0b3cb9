import DeepGen

/// Where an audio dataset's fixed-length training window falls on a clip of any length.
///
/// The clip is surrounded by digital silence. With n the clip's length, L the window length and
/// P = min(L/4, sampleRate/8) the most leading silence, a training window starts at s drawn
/// uniformly from −P…max(0, n − L) (inclusive), so a clip of at most L − P samples is seen whole
/// after 0…P samples of silence (a model learns how sounds begin, not that they start at sample 0),
/// a longer one loses its end when the window starts early, and one longer than L is cropped at
/// random; values outside the clip are 0. Evaluation windows (`sequential`) start
/// at s = −P, so they are the same every time.
public enum AudioWindow {
    /// P: the most silence before a clip's first sample.
    public static func maxLeadingSilence(windowLength: Int, sampleRate: Int) -> Int {
        Swift.max(0, Swift.min(windowLength / 4, sampleRate / 8))
    }

    /// The window's first sample relative to the clip's (negative: that much silence first),
    /// drawn from `rng` unless `sequential`.
    public static func start(clipLength: Int, windowLength: Int, sampleRate: Int, sequential: Bool,
                             using rng: inout RandomGenerator) -> Int {
        let silence = maxLeadingSilence(windowLength: windowLength, sampleRate: sampleRate)
        guard !sequential else { return -silence }
        let choices = silence + Swift.max(0, clipLength - windowLength) + 1
        return -silence + rng.nextInt(below: choices)
    }

    /// `length` samples of `samples` from `start`, zero outside the clip.
    public static func extract(_ samples: [Float], start: Int, length: Int) -> [Float] {
        var window = [Float](repeating: 0, count: length)
        let from = Swift.max(start, 0), to = Swift.min(start + length, samples.count)
        if from < to {
            window.withUnsafeMutableBufferPointer { out in
                samples.withUnsafeBufferPointer { clip in
                    for i in from..<to { out[i - start] = clip[i] }
                }
            }
        }
        return window
    }

    /// The training (or, `sequential`, evaluation) window of a clip as a sample `[1, length]`.
    static func sample(of clip: LabelledClip, length: Int, sequential: Bool, using rng: inout RandomGenerator) -> Sample {
        let s = start(clipLength: clip.clip.samples.count, windowLength: length, sampleRate: clip.clip.sampleRate,
                      sequential: sequential, using: &rng)
        return Sample(values: extract(clip.clip.samples, start: s, length: length), label: clip.label, secondLabel: clip.speaker)
    }
}
