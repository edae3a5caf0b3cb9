import Foundation

/// `fsdd:PATH` (the Free Spoken Digit Dataset's recordings) and `audio:PATH` (any folder of audio
/// files): clips read once, resampled to `DataOptions.sampleRate` (8 kHz unless given), as
/// windows of the length the model asks for (one second when it does not).
public enum AudioFolderSource: DatasetSource {
    public static let names = ["fsdd", "audio"]
    public static let usage = "fsdd:PATH, audio:PATH"
    public static let summary = "audio clips: spoken digits of the Free Spoken Digit Dataset (CC BY-SA 4.0): 3,000 recordings, digit and speaker labels; or any folder of WAV/FLAC/Ogg/AIFF files (--label-pattern)"
    public static let sampleKind = SampleKind.audio
    /// The rate audio sets are resampled to when `DataOptions.sampleRate` is not given.
    public static let defaultSampleRate = 8000

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        let rate = options.sampleRate ?? defaultSampleRate
        guard rate > 0 else { throw DataError.invalidArgument("the sample rate must be positive, got \(rate)") }
        if let length = request.sequenceLength, length <= 0 {
            throw DataError.invalidArgument("audio windows need a positive length, got \(length)")
        }
        let path = spec.classes?.joined(separator: ",") ?? options.directory
        if spec.name == "fsdd" {
            guard let path else {
                throw DataError.invalidArgument("fsdd needs the folder of its recordings: fsdd:PATH (git clone https://github.com/Jakobovski/free-spoken-digit-dataset)")
            }
            guard options.labelPattern == nil else {
                throw DataError.invalidArgument("fsdd labels clips by their digit; a label pattern is for audio:PATH")
            }
            return try SpokenDigits.load(folder: URL(fileURLWithPath: path), split: split, sampleRate: rate,
                                         windowLength: request.sequenceLength)
        }
        guard let path else { throw DataError.invalidArgument("audio needs a folder: audio:PATH") }
        return try AudioFolder.load(folder: URL(fileURLWithPath: path), split: split, sampleRate: rate,
                                    labelPattern: options.labelPattern, windowLength: request.sequenceLength)
    }
}

/// `tones[:kinds]`: the procedural audio set (``ToneClips``), all kinds or those named.
public enum ToneSource: DatasetSource {
    public static let names = ["tones"]
    public static let usage = "tones[:kinds]"
    public static let summary = "procedural half-second sounds: tones, chirps up and down, noise bursts, harmonic notes (2,000 training, 400 test clips); no files needed"
    public static let sampleKind = SampleKind.audio

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        guard options.labelPattern == nil else { throw DataError.invalidArgument("tones labels clips by their kind; a label pattern is for audio:PATH") }
        let kinds = try spec.classes.map { try $0.map(kind) } ?? ToneClips.Kind.allCases
        return try ToneClips(seed: seed, split: split, kinds: kinds, sampleRate: options.sampleRate ?? AudioFolderSource.defaultSampleRate,
                             windowLength: request.sequenceLength)
    }

    /// A kind by name (`chirp-up`) or index.
    static func kind(_ name: String) throws -> ToneClips.Kind {
        let all = ToneClips.Kind.allCases
        if let i = Int(name), all.indices.contains(i) { return all[i] }
        guard let kind = ToneClips.Kind(rawValue: name.lowercased()) else {
            throw DataError.invalidArgument("unknown kind of tone '\(name)'; kinds are \(all.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }
}
