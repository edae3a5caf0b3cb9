import Foundation

/// Any folder of audio files as a dataset: every file libsndfile reads (by extension: WAV,
/// FLAC, Ogg, AIFF, AU, CAF, W64) anywhere under the folder, subfolders included, resampled to
/// one rate.
///
/// Split: when the folder has both `train/` and `test/` subfolders, those; otherwise all files in
/// order of their relative paths, every tenth (the 10th, 20th, …) the test split.
///
/// Labels: with a label pattern, a regular expression with one capture group, searched in each
/// file's path relative to its split folder (the file name, for files directly in it; a pattern
/// such as `^([^/]+)/` takes the subfolder); the classes are the distinct captures of all files
/// of both splits, sorted (both splits have them all as their label space, so a model conditioned
/// on the training split can score every test clip), and a file it does not match is an error.
/// Without one, clips have no classes.
public enum AudioFolder {
    /// Reads one split of `folder` at `sampleRate`.
    /// - Throws: ``DataError`` for a missing folder, a folder without audio files
    ///   (``DataError/emptyFolder(path:reason:)``), an invalid pattern or one with other than one
    ///   capture group, a file the pattern does not match (naming both), or a file that cannot be read.
    public static func load(folder: URL, split: DataSplit, sampleRate: Int, labelPattern: String? = nil,
                            windowLength: Int? = nil) throws -> AudioClips {
        guard sampleRate > 0 else { throw DataError.invalidArgument("a sample rate must be positive, got \(sampleRate)") }
        let splits = try listSplits(folder)
        guard splits.train.count + splits.test.count > 0 else {
            throw DataError.emptyFolder(path: folder.path, reason: "no audio files (\(AudioFileListing.extensions.sorted().map { "." + $0 }.joined(separator: ", ")))")
        }
        // Both splits are checked whichever is asked for, so a run fails before training, not at
        // its first epoch's end when the test split is first read.
        for (name, files) in [(DataSplit.train, splits.train), (.test, splits.test)] where files.isEmpty {
            throw DataError.emptyFolder(path: folder.path, reason: splits.separateFolders
                ? "no audio files in its \(name.rawValue) folder"
                : "no \(name.rawValue) files: every tenth of its \(splits.train.count) audio files is the test split; add files or make train/ and test/ subfolders")
        }
        let files = split == .train ? splits.train : splits.test

        var labels = [Int](repeating: 0, count: files.count)
        var classNames: [String]?
        if let labelPattern {
            let labeller = try Labeller(pattern: labelPattern)
            let all = try (splits.train + splits.test).map { try labeller.capture($0) }
            let names = Set(all).sorted()
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            labels = try files.map { index[try labeller.capture($0)]! }
            classNames = names
        }
        let clips = try AudioFileListing.readClips(files.map(\.url), sampleRate: sampleRate)
        let labelled = zip(files, zip(clips, labels)).map { file, clipAndLabel in
            LabelledClip(clip: clipAndLabel.0, label: clipAndLabel.1, name: file.url.path)
        }
        return try AudioClips(clips: labelled, sampleRate: sampleRate, windowLength: windowLength ?? sampleRate,
                              sequential: split == .test, classNames: classNames,
                              classLabels: classNames.map { Array($0.indices) })
    }

    /// A file and its path relative to its split folder.
    struct File {
        var url: URL
        var relativePath: String
    }

    static func listSplits(_ folder: URL) throws -> (train: [File], test: [File], separateFolders: Bool) {
        func list(_ root: URL) throws -> [File] {
            try AudioFileListing.files(in: root, recursive: true).map { File(url: root.appendingPathComponent($0), relativePath: $0) }
        }
        let trainFolder = folder.appendingPathComponent("train"), testFolder = folder.appendingPathComponent("test")
        if AudioFileListing.isFolder(trainFolder) && AudioFileListing.isFolder(testFolder) {
            return (try list(trainFolder), try list(testFolder), true)
        }
        let all = try list(folder)
        let isTest = { (i: Int) in i % 10 == 9 }
        return (all.indices.filter { !isTest($0) }.map { all[$0] }, all.indices.filter(isTest).map { all[$0] }, false)
    }

    /// A label pattern: a regular expression with one capture group.
    struct Labeller {
        let pattern: String
        let expression: NSRegularExpression

        init(pattern: String) throws {
            do {
                expression = try NSRegularExpression(pattern: pattern)
            } catch {
                throw DataError.invalidArgument("label pattern '\(pattern)' is not a regular expression: \(error.localizedDescription)")
            }
            guard expression.numberOfCaptureGroups == 1 else {
                throw DataError.invalidArgument("label pattern '\(pattern)' needs exactly one capture group (the label), it has \(expression.numberOfCaptureGroups)")
            }
            self.pattern = pattern
        }

        /// The pattern's capture in the file's relative path.
        func capture(_ file: File) throws -> String {
            let text = file.relativePath as NSString
            guard let match = expression.firstMatch(in: file.relativePath, range: NSRange(location: 0, length: text.length)),
                  match.range(at: 1).location != NSNotFound, match.range(at: 1).length > 0 else {
                throw DataError.mismatch(file: file.url.path, reason: "label pattern '\(pattern)' does not match '\(file.relativePath)' (or captures nothing)")
            }
            return text.substring(with: match.range(at: 1))
        }
    }
}
