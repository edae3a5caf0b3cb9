import DeepGen
import Foundation

/// A procedural audio set that needs no files, so audio models run anywhere: half-second clips
/// of five kinds (the classes), each with a random amplitude and attack/decay envelope.
///
/// Clip `i` of a split is computed from `(seed, split, i)` alone: the same seed gives
/// bit-identical clips, any index is available directly, and the set costs no memory. Kinds take
/// turns (clip `i` is kind `kinds[i % kinds.count]`), so classes are balanced; a subset
/// (`tones:tone,noise`) keeps each kind's label, as `shapes:circle,cross` does.
public struct ToneClips: AudioClipDataset {
    /// The kinds of clip; a clip's label is the index in this list.
    public enum Kind: String, CaseIterable, Sendable {
        /// A sine at a random pitch.
        case tone
        /// A sine sweeping up (exponentially, over one to two octaves).
        case chirpUp = "chirp-up"
        /// A sine sweeping down.
        case chirpDown = "chirp-down"
        /// A burst of white noise.
        case noise
        /// A fundamental with a few harmonics of falling strength.
        case harmonic

        public var label: Int { Self.allCases.firstIndex(of: self)! }
    }

    /// Clips per split.
    public static let trainCount = 2000, testCount = 400
    /// A clip's length in seconds.
    public static let clipDuration = 0.5

    public let seed: UInt64
    public let split: DataSplit
    public let kinds: [Kind]
    public let sampleRate: Int
    public let windowLength: Int
    public let sequential: Bool

    /// - Throws: ``DataError/invalidArgument(_:)`` for no kinds, a rate below 1 kHz (the
    ///   pitches need room) or a non-positive window.
    public init(seed: UInt64, split: DataSplit, kinds: [Kind] = Kind.allCases, sampleRate: Int = 8000,
                windowLength: Int? = nil, sequential: Bool? = nil) throws {
        guard !kinds.isEmpty else { throw DataError.invalidArgument("tones needs at least one kind") }
        guard sampleRate >= 1000 else { throw DataError.invalidArgument("tones needs a sample rate of at least 1000 Hz, got \(sampleRate)") }
        let length = windowLength ?? sampleRate
        guard length > 0 else { throw DataError.invalidArgument("audio windows need a positive length, got \(length)") }
        self.seed = seed
        self.split = split
        self.kinds = Kind.allCases.filter(kinds.contains)
        self.sampleRate = sampleRate
        self.windowLength = length
        self.sequential = sequential ?? (split == .test)
    }

    public var count: Int { split == .train ? Self.trainCount : Self.testCount }
    public var classNames: [String]? { Kind.allCases.map(\.rawValue) }
    public var speakerNames: [String]? { nil }
    public var classLabels: [Int]? { kinds.map(\.label) }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        AudioWindow.sample(of: try clip(at: index), length: windowLength, sequential: sequential, using: &rng)
    }

    public func clip(at index: Int) throws -> LabelledClip {
        checkIndex(index)
        let kind = kinds[index % kinds.count]
        var rng = RandomGenerator(seed: SeedMixer.mix(seed, split == .train ? 0x7124 : 0x7E57, UInt64(index)))
        let samples = Self.synthesize(kind, count: Int((Double(sampleRate) * Self.clipDuration).rounded()),
                                      sampleRate: Double(sampleRate), using: &rng)
        return LabelledClip(clip: AudioClip(samples: samples, sampleRate: sampleRate), label: kind.label,
                            name: "tones/\(split.rawValue)/\(index)")
    }

    /// One clip of `kind`, in double precision, drawing every choice from `rng`.
    static func synthesize(_ kind: Kind, count: Int, sampleRate: Double, using rng: inout RandomGenerator) -> [Float] {
        func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * Double(rng.nextUniform()) }
        func logUniform(_ low: Double, _ high: Double) -> Double { Foundation.exp(uniform(Foundation.log(low), Foundation.log(high))) }
        // Pitches stay well below Nyquist, whatever the rate.
        let top = Swift.min(2000, 0.4 * sampleRate), bottom = Swift.min(100, top / 8)
        let amplitude = uniform(0.2, 0.9)
        let attack = uniform(0.005, 0.08), decay = uniform(0.05, 0.4)
        let phase0 = uniform(0, 2 * Double.pi)
        let duration = Double(count) / sampleRate

        let wave: (Double) -> Double
        switch kind {
        case .tone:
            let f = logUniform(bottom, top)
            wave = { t in Foundation.sin(2 * Double.pi * f * t + phase0) }
        case .chirpUp, .chirpDown:
            let octaves = uniform(1, 2)
            let low = logUniform(bottom, top / Foundation.pow(2, octaves))
            let (f0, f1) = kind == .chirpUp ? (low, low * Foundation.pow(2, octaves)) : (low * Foundation.pow(2, octaves), low)
            // f(t) = f0·k^(t/T) with k = f1/f0; the phase is its integral.
            let k = f1 / f0
            wave = { t in Foundation.sin(2 * Double.pi * f0 * duration / Foundation.log(k) * (Foundation.pow(k, t / duration) - 1) + phase0) }
        case .noise:
            var noise = [Double](repeating: 0, count: count)
            for i in 0..<count { noise[i] = Double(rng.nextNormalPair().0) * 0.4 }
            wave = { t in noise[Swift.min(Int((t * sampleRate).rounded()), count - 1)] }
        case .harmonic:
            let f = logUniform(bottom, top / 4)
            let harmonics = 2 + rng.nextInt(below: 4)
            let phases = (0..<harmonics).map { _ in uniform(0, 2 * Double.pi) }
            let weights = (1...harmonics).map { h in Double(h) * f < 0.45 * sampleRate ? 1 / Double(h) : 0 }
            let total = weights.reduce(0, +)
            wave = { t in
                var sum = 0.0
                for h in 0..<harmonics where weights[h] > 0 {
                    sum += weights[h] * Foundation.sin(2 * Double.pi * f * Double(h + 1) * t + phases[h])
                }
                return sum / total
            }
        }
        return (0..<count).map { i in
            let t = Double(i) / sampleRate
            let envelope = Swift.min(1, t / attack) * Foundation.exp(-Swift.max(0, t - attack) / decay)
            return Float(Swift.min(1, Swift.max(-1, amplitude * envelope * wave(t))))
        }
    }
}
