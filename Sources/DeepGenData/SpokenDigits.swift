import Foundation

/// The Free Spoken Digit Dataset (Zohar Jackson et al., CC BY-SA 4.0): 3,000 recordings of the
/// digits 0–9, 8 kHz 16-bit mono WAV, named `{digit}_{speaker}_{take}.wav` (`3_jackson_12.wav`).
/// Takes 0–4 of every digit and speaker are the test split (300 files), takes 5–49 training
/// (2,700), as the dataset's README suggests. A clip's label is its digit and its speaker the
/// index into the sorted speaker names.
public enum SpokenDigits {
    /// The class names, indexed by label.
    public static let classNames = (0...9).map(String.init)
    /// Takes below this are the test split.
    public static let testTakes = 5

    /// What a recording's file name says.
    public struct Recording: Sendable, Equatable {
        public var digit: Int
        public var speaker: String
        public var take: Int
    }

    /// Parses `{digit}_{speaker}_{take}.wav`.
    /// - Throws: ``DataError/unsupported(file:reason:)`` naming `path` for any other name or a
    ///   digit outside 0–9.
    public static func recording(named name: String, path: String) throws -> Recording {
        let stem = (name as NSString).deletingPathExtension
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        let expected = "a recording's name must be {digit}_{speaker}_{take}.wav, e.g. 3_jackson_12.wav"
        guard parts.count == 3, let digit = Int(parts[0]), parts[0].allSatisfy(\.isASCII), !parts[1].isEmpty,
              let take = Int(parts[2]), take >= 0, parts[2].allSatisfy(\.isASCII) else {
            throw DataError.unsupported(file: path, reason: expected)
        }
        guard (0...9).contains(digit) else { throw DataError.unsupported(file: path, reason: "digit \(digit) is not 0–9 (\(expected))") }
        return Recording(digit: digit, speaker: parts[1], take: take)
    }

    /// Reads one split of the recordings in `folder` (or in its `recordings` subfolder, the
    /// repository's layout), resampled to `sampleRate` (the files are 8 kHz).
    ///
    /// Every `.wav` name is checked, whichever the split, so speakers number the same in both;
    /// other files (a README) are ignored.
    /// - Throws: ``DataError`` for a missing folder, one without `.wav` files, a misnamed file
    ///   (naming it) or a file that cannot be read.
    public static func load(folder: URL, split: DataSplit, sampleRate: Int = 8000, windowLength: Int? = nil) throws -> AudioClips {
        let nested = folder.appendingPathComponent("recordings")
        let root = AudioFileListing.isFolder(nested) ? nested : folder
        let names = try AudioFileListing.files(in: root, recursive: false, extensions: ["wav"])
        guard !names.isEmpty else {
            throw DataError.emptyFolder(path: root.path, reason: "no .wav recordings; the Free Spoken Digit Dataset's are in its recordings folder")
        }
        let recordings = try names.map { try recording(named: $0, path: root.appendingPathComponent($0).path) }
        let speakers = Set(recordings.map(\.speaker)).sorted()
        let speakerIndex = Dictionary(uniqueKeysWithValues: speakers.enumerated().map { ($1, $0) })
        // Both splits are checked whichever is asked for, so a run fails before training.
        for part in [DataSplit.train, .test] where !recordings.contains(where: { ($0.take < testTakes) == (part == .test) }) {
            throw DataError.emptyFolder(path: root.path, reason: "no recordings of the \(part.rawValue) split (takes \(part == .test ? "0–4" : "5 and above"))")
        }
        let chosen = recordings.indices.filter { (recordings[$0].take < testTakes) == (split == .test) }
        let clips = try AudioFileListing.readClips(chosen.map { root.appendingPathComponent(names[$0]) }, sampleRate: sampleRate)
        let labelled = zip(chosen, clips).map { i, clip in
            LabelledClip(clip: clip, label: recordings[i].digit, speaker: speakerIndex[recordings[i].speaker], name: root.appendingPathComponent(names[i]).path)
        }
        return try AudioClips(clips: labelled, sampleRate: sampleRate, windowLength: windowLength ?? sampleRate,
                              sequential: split == .test, classNames: classNames, speakerNames: speakers,
                              classLabels: Set(recordings.map(\.digit)).sorted())  // both splits': one label space
    }
}
