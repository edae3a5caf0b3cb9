import DeepGen
import Foundation
import Testing
@testable import DeepGenData

/// The Free Spoken Digit Dataset's recordings where the development machines keep them
/// (`../shared/data/fsdd` beside the repository); a user's machine has none, and the tests that
/// read them skip.
enum FSDDRecordings {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/fsdd/recordings")
    static let present = FileManager.default.fileExists(atPath: folder.path)
}

@Suite(.enabled(if: AudioTestSupport.enabled, AudioTestSupport.skipReason))
struct AudioDatasetTests {
    static let request = DataRequest(range: .minusOneToOne)

    /// Writes a short 16-bit WAV of `seconds` of a sine at `rate` for each name.
    static func makeFiles(_ names: [String], in folder: URL, rate: Int = 8000, seconds: Double = 0.05) throws {
        for (i, name) in names.enumerated() {
            let url = folder.appendingPathComponent(name)
            let samples = AudioTestSupport.sine(frequency: 200 + 50 * Double(i % 7), rate: rate, seconds: seconds, amplitude: 0.5)
            try AudioFile.write(samples, sampleRate: rate, to: url)
        }
    }

    // MARK: fsdd

    @Test(.enabled(if: FSDDRecordings.present, "../shared/data/fsdd is absent (only the development machines have it)"))
    func fsddSplitsLabelsAndSpeakers() throws {
        let start = Date()
        let train = try DatasetRegistry.load(DataOptions(spec: "fsdd:\(FSDDRecordings.folder.path)"), request: Self.request, split: .train, seed: 1)
        let seconds = Date().timeIntervalSince(start)
        let test = try DatasetRegistry.load(DataOptions(spec: "fsdd:\(FSDDRecordings.folder.path)"), request: Self.request, split: .test, seed: 1)
        #expect(train.dataset.count == 2700 && test.dataset.count == 300)
        #expect(seconds < 5, "loading 2,700 recordings took \(seconds) s")
        for loaded in [train, test] {
            #expect(loaded.description.kind == .audio)
            #expect(loaded.description.shape == [1, 8000])
            #expect(loaded.description.sampleRate == 8000)
            #expect(loaded.description.classNames == (0...9).map(String.init))
            #expect(loaded.description.classLabels == Array(0...9))
        }
        let clips = try #require(train.dataset as? AudioClips), testClips = try #require(test.dataset as? AudioClips)
        let speakers = try #require(clips.speakerNames)
        #expect(speakers == speakers.sorted() && speakers.count >= 6 && testClips.speakerNames == speakers)
        for (dataset, isTest) in [(clips, false), (testClips, true)] {
            for clip in dataset.clips {
                let parts = (clip.name as NSString).lastPathComponent.dropLast(4).split(separator: "_")
                #expect(clip.label == Int(parts[0])!)
                #expect(speakers[clip.speaker!] == String(parts[1]))
                #expect((Int(parts[2])! < 5) == isTest)
            }
        }
        #expect(!clips.sequential && testClips.sequential)
        var rng = RandomGenerator(seed: 3)
        let sample = try clips.sample(at: 17, using: &rng)
        #expect(sample.values.count == 8000 && sample.label == clips.clips[17].label && sample.secondLabel == clips.clips[17].speaker)

        let lengths = (clips.clips + testClips.clips).map(\.clip.samples.count).sorted()
        let mean = Double(lengths.reduce(0, +)) / Double(lengths.count)
        print("FSDD: \(lengths.count) clips, length min \(lengths.first!), median \(lengths[lengths.count / 2]), mean \(Int(mean.rounded())), max \(lengths.last!) samples; training split loaded in \(String(format: "%.2f", seconds)) s")
        #expect(lengths.first! > 0 && lengths.last! < 8000 * 3)
    }

    @Test(.enabled(if: FSDDRecordings.present, "../shared/data/fsdd is absent (only the development machines have it)"))
    func fsddResamplesOnRequest() throws {
        let options = DataOptions(spec: "fsdd:\(FSDDRecordings.folder.deletingLastPathComponent().path)", sampleRate: 16000)
        let test = try DatasetRegistry.load(options, request: DataRequest(range: .minusOneToOne, sequenceLength: 4096), split: .test, seed: 1)
        #expect(test.description.sampleRate == 16000 && test.description.shape == [1, 4096])
        let native = try SpokenDigits.load(folder: FSDDRecordings.folder, split: .test)
        let resampled = try #require(test.dataset as? AudioClips)
        #expect(abs(resampled.clips[0].clip.samples.count - 2 * native.clips[0].clip.samples.count) <= 1)
    }

    @Test func fsddNamesAreCheckedAndOtherFilesIgnored() throws {
        let folder = try Paths.temporaryFolder()
        let good = ["0_alice_0.wav", "0_alice_7.wav", "3_bob_1.wav", "3_bob_12.wav", "9_alice_30.wav"]
        try Self.makeFiles(good, in: folder)
        try Data("the dataset's README".utf8).write(to: folder.appendingPathComponent("README.md"))
        let train = try SpokenDigits.load(folder: folder, split: .train)
        #expect(train.count == 3)
        #expect(train.clips.map(\.label) == [0, 3, 9])
        #expect(train.speakerNames == ["alice", "bob"])
        #expect(train.clips.map(\.speaker) == [0, 1, 0])
        #expect(try SpokenDigits.load(folder: folder, split: .test).count == 2)

        for bad in ["bad_name.wav", "12_alice_3.wav", "4_bob_x.wav", "5__2.wav"] {
            let copy = try Paths.temporaryFolder()
            try Self.makeFiles(good + [bad], in: copy)
            let error = expectDataError(bad) { _ = try SpokenDigits.load(folder: copy, split: .test) }
            #expect(error?.file == copy.appendingPathComponent(bad).path, "\(String(describing: error))")
            #expect("\(error.map { "\($0)" } ?? "")".contains("{digit}_{speaker}_{take}.wav"))
        }
    }

    @Test func fsddMissingOrEmptyFolderIsAClearError() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-no-such-fsdd-\(UUID().uuidString)")
        let e1 = expectDataError { _ = try DatasetRegistry.load(DataOptions(spec: "fsdd:\(missing.path)"), request: Self.request, split: .train, seed: 0) }
        #expect(e1 == .io(file: missing.path, reason: "no such folder"))
        let e2 = expectDataError { _ = try DatasetRegistry.load(DataOptions(spec: "fsdd"), request: Self.request, split: .train, seed: 0) }
        #expect("\(e2.map { "\($0)" } ?? "")".contains("fsdd:PATH"))
        let empty = try Paths.temporaryFolder()
        guard case .emptyFolder(let path, _)? = expectDataError("", { _ = try SpokenDigits.load(folder: empty, split: .train) }) else { return }
        #expect(path == empty.path)
    }

    // MARK: audio:PATH

    @Test func audioFolderWithTrainAndTestFoldersAndLabels() throws {
        let root = try Paths.temporaryFolder()
        let train = root.appendingPathComponent("train"), test = root.appendingPathComponent("test")
        try FileManager.default.createDirectory(at: train.appendingPathComponent("more"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: test, withIntermediateDirectories: true)
        try Self.makeFiles(["dog_1.wav", "cat_1.wav", "cat_2.flac", "more/bird_9.wav"], in: train, rate: 16000, seconds: 0.1)
        try Self.makeFiles(["dog_7.wav", "cat_3.wav"], in: test, rate: 16000, seconds: 0.1)
        try Data("notes".utf8).write(to: train.appendingPathComponent("notes.txt"))
        let options = DataOptions(spec: "audio:\(root.path)", labelPattern: "([a-z]+)_[0-9]+")
        let loadedTrain = try DatasetRegistry.load(options, request: Self.request, split: .train, seed: 0)
        let loadedTest = try DatasetRegistry.load(options, request: Self.request, split: .test, seed: 0)
        #expect(loadedTrain.description.classNames == ["bird", "cat", "dog"])
        #expect(loadedTrain.description.sampleRate == 8000 && loadedTrain.description.shape == [1, 8000])
        let trainClips = try #require(loadedTrain.dataset as? AudioClips), testClips = try #require(loadedTest.dataset as? AudioClips)
        // Sorted by relative path: cat_1, cat_2.flac, dog_1, more/bird_9.
        #expect(trainClips.clips.map(\.label) == [1, 1, 2, 0])
        #expect(testClips.clips.map(\.label) == [1, 2])
        #expect(trainClips.clips.allSatisfy { abs($0.clip.samples.count - 800) <= 1 && $0.clip.sampleRate == 8000 && $0.speaker == nil })
        // Both splits have every class of either as their label space (the test split has no bird).
        #expect(loadedTrain.description.classLabels == [0, 1, 2] && loadedTest.description.classLabels == [0, 1, 2])

        // A subfolder as the label.
        let byFolder = try Paths.temporaryFolder()
        for name in ["yes", "no"] { try FileManager.default.createDirectory(at: byFolder.appendingPathComponent(name), withIntermediateDirectories: true) }
        // Ten files (the tenth in order, yes/j, is the test split): no/b, no/d, yes/a, yes/c, yes/e … yes/i.
        try Self.makeFiles(["yes/a.wav", "no/b.wav", "yes/c.wav", "no/d.wav"] + ["e", "f", "g", "h", "i", "j"].map { "yes/\($0).wav" }, in: byFolder)
        let labelled = try AudioFolder.load(folder: byFolder, split: .train, sampleRate: 8000, labelPattern: "^([^/]+)/")
        #expect(labelled.classNames == ["no", "yes"] && labelled.clips.map(\.label) == [0, 0, 1, 1, 1, 1, 1, 1, 1])
    }

    @Test func audioFolderLabelPatternErrorsNameFileAndPattern() throws {
        let root = try Paths.temporaryFolder()
        try Self.makeFiles(["dog_1.wav", "cat_1.wav", "mystery.wav"] + (2...8).map { "cat_\($0).wav" }, in: root)
        let e1 = expectDataError { _ = try AudioFolder.load(folder: root, split: .train, sampleRate: 8000, labelPattern: "^([a-z]+)_") }
        guard case .mismatch(let file, let reason)? = e1 else { Issue.record("got \(String(describing: e1))"); return }
        #expect(file == root.appendingPathComponent("mystery.wav").path && reason.contains("^([a-z]+)_"))
        for pattern in ["([a-z]+", "[a-z]+", "(a)(b)"] {
            #expect(expectDataError(pattern) { _ = try AudioFolder.load(folder: root, split: .train, sampleRate: 8000, labelPattern: pattern) } != nil)
        }
    }

    @Test func audioFolderSplitsEveryTenthFileAndFindsSubfolders() throws {
        let root = try Paths.temporaryFolder()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let names = (0..<20).map { String(format: $0 < 15 ? "clip%02d.wav" : "sub/clip%02d.wav", $0) }
        try Self.makeFiles(names, in: root)
        let train = try AudioFolder.load(folder: root, split: .train, sampleRate: 8000)
        let test = try AudioFolder.load(folder: root, split: .test, sampleRate: 8000, windowLength: 100)
        #expect(train.count == 18 && test.count == 2)
        #expect(test.clips.map { ($0.name as NSString).lastPathComponent } == ["clip09.wav", "sub/clip19.wav".split(separator: "/").last.map(String.init)!])
        #expect(train.classNames == nil && train.classLabels == nil)
        #expect(test.sampleShape == [1, 100] && test.sequential && !train.sequential)
        // Labels from the folder: "sub" for five files; the others do not match.
        #expect(expectDataError { _ = try AudioFolder.load(folder: root, split: .train, sampleRate: 8000, labelPattern: "^([^/]+)/") }?.file != nil)
    }

    @Test func emptyAndMissingAudioFoldersAreErrors() throws {
        let empty = try Paths.temporaryFolder()
        guard case .emptyFolder(let path, _)? = expectDataError("", { _ = try AudioFolder.load(folder: empty, split: .train, sampleRate: 8000) }) else { return }
        #expect(path == empty.path)
        try Data("not audio".utf8).write(to: empty.appendingPathComponent("README"))
        guard case .emptyFolder? = expectDataError("", { _ = try AudioFolder.load(folder: empty, split: .train, sampleRate: 8000) }) else { return }
        let missing = empty.appendingPathComponent("gone")
        #expect(expectDataError { _ = try AudioFolder.load(folder: missing, split: .train, sampleRate: 8000) } == .io(file: missing.path, reason: "no such folder"))
        // Three files: no tenth file, so no test split; loading either split says so (a run fails
        // before it trains, not when its first epoch ends).
        try Self.makeFiles(["a.wav", "b.wav", "c.wav"], in: empty)
        for split in [DataSplit.train, .test] {
            guard case .emptyFolder(_, let reason)? = expectDataError("", { _ = try AudioFolder.load(folder: empty, split: split, sampleRate: 8000) }) else { return }
            #expect(reason.contains("no test files"))
        }
        try Self.makeFiles((0..<7).map { "x\($0).wav" }, in: empty)
        #expect(try AudioFolder.load(folder: empty, split: .train, sampleRate: 8000).count == 9)
        // A corrupt file fails the load, naming it.
        try Data(repeating: 7, count: 100).write(to: empty.appendingPathComponent("d.wav"))
        #expect(expectDataError { _ = try AudioFolder.load(folder: empty, split: .train, sampleRate: 8000) }?.file == empty.appendingPathComponent("d.wav").path)
    }
}

/// The procedural set and the window policy need no files or libraries.
@Suite struct ToneAndWindowTests {
    @Test func tonesAreDeterministicPerSeedSplitAndIndex() throws {
        let a = try ToneClips(seed: 42, split: .train), b = try ToneClips(seed: 42, split: .train)
        let other = try ToneClips(seed: 43, split: .train), test = try ToneClips(seed: 42, split: .test)
        #expect(a.count == 2000 && test.count == 400)
        for i in [0, 1, 2, 3, 4, 777, 1999] {
            let clip = try a.clip(at: i)
            #expect(clip.clip.samples == (try b.clip(at: i)).clip.samples)
            #expect(clip.clip.samples != (try other.clip(at: i)).clip.samples)
            #expect(clip.clip.samples.count == 4000 && clip.clip.sampleRate == 8000)
            #expect(clip.clip.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
            #expect(clip.clip.samples.map(abs).max()! > 0.05, "clip \(i) is audible")
            #expect(clip.label == i % 5)
        }
        #expect((try a.clip(at: 5)).clip.samples != (try test.clip(at: 5)).clip.samples)
        #expect(a.classNames == ["tone", "chirp-up", "chirp-down", "noise", "harmonic"])
    }

    @Test func toneSubsetsKeepTheirLabels() throws {
        let loaded = try DatasetRegistry.load(DataOptions(spec: "tones:noise,tone"), request: DataRequest(range: .minusOneToOne), split: .train, seed: 7)
        #expect(loaded.description.kind == .audio)
        #expect(loaded.description.classLabels == [0, 3])
        #expect(loaded.description.labelSpace?.count == 4 && loaded.description.labelSpace?.subset == [0, 3])
        #expect(loaded.description.classNames?[3] == "noise")
        let set = try #require(loaded.dataset as? ToneClips)
        #expect(Set(try (0..<50).map { try set.clip(at: $0).label }) == [0, 3])
        #expect(try DatasetRegistry.load(DataOptions(spec: "tones:1,chirp-down"), request: DataRequest(range: .zeroToOne), split: .test, seed: 7)
            .description.classLabels == [1, 2])
        let error = expectDataError { _ = try DatasetRegistry.load(DataOptions(spec: "tones:whistle"), request: DataRequest(range: .minusOneToOne), split: .train, seed: 7) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("chirp-up"))
    }

    @Test func windowLengthComesFromTheRequest() throws {
        let defaulted = try DatasetRegistry.load(DataOptions(spec: "tones", sampleRate: 16000), request: DataRequest(range: .minusOneToOne), split: .train, seed: 1)
        #expect(defaulted.description.shape == [1, 16000] && defaulted.description.sampleRate == 16000)
        let asked = try DatasetRegistry.load(DataOptions(spec: "tones"), request: DataRequest(range: .minusOneToOne, sequenceLength: 1234), split: .train, seed: 1)
        #expect(asked.description.shape == [1, 1234])
        #expect(try asked.dataset.sample(at: 3).values.count == 1234)
    }

    @Test func shortClipsAreSeenWholeAfterAtMostPSamplesOfSilence() throws {
        let clip = (0..<1000).map { Float($0 + 1) / 1000 }
        let data = try AudioClips(clips: [LabelledClip(clip: AudioClip(samples: clip, sampleRate: 8000), label: 2, speaker: 1, name: "x")],
                                  sampleRate: 8000, windowLength: 8000, sequential: false)
        let p = AudioWindow.maxLeadingSilence(windowLength: 8000, sampleRate: 8000)
        #expect(p == 1000)
        var offsets = Set<Int>()
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<3000 {
            let sample = try data.sample(at: 0, using: &rng)
            #expect(sample.values.count == 8000 && sample.label == 2 && sample.secondLabel == 1)
            let first = try #require(sample.values.firstIndex { $0 != 0 })
            #expect(first <= p)
            #expect(Array(sample.values[first..<(first + 1000)]) == clip)
            #expect(sample.values[(first + 1000)...].allSatisfy { $0 == 0 })
            offsets.insert(first)
        }
        #expect(offsets.min() == 0 && offsets.max() == p && offsets.count > 800)

        // Evaluation windows: always P samples of silence first.
        let fixed = try data.with(sequential: true)
        for seed in 0..<5 {
            var r = RandomGenerator(seed: UInt64(seed))
            let values = try fixed.sample(at: 0, using: &r).values
            #expect(values.firstIndex { $0 != 0 } == p)
        }
    }

    @Test func longClipsAreCroppedAtRandom() throws {
        let n = 20000, length = 4000
        let clip = (0..<n).map { Float($0 + 1) }
        let data = try AudioClips(clips: [LabelledClip(clip: AudioClip(samples: clip, sampleRate: 8000), label: 0, name: "y")],
                                  sampleRate: 8000, windowLength: length, sequential: false)
        let p = AudioWindow.maxLeadingSilence(windowLength: length, sampleRate: 8000)
        #expect(p == 1000)
        var starts: [Int] = []
        var rng = RandomGenerator(seed: 1)
        for _ in 0..<2000 {
            let values = try data.sample(at: 0, using: &rng).values
            let lead = values.firstIndex { $0 != 0 }!
            let start = Int(values[lead]) - 1 - lead
            #expect(start >= -p && start <= n - length)
            #expect(values[lead...].enumerated().allSatisfy { $1 == Float(start + lead + $0 + 1) })
            starts.append(start)
        }
        #expect(starts.min()! < -p + 100 && starts.max()! > n - length - 100)
        #expect(AudioWindow.extract([1, 2, 3], start: -2, length: 7) == [0, 0, 1, 2, 3, 0, 0])
        #expect(AudioWindow.extract([1, 2, 3], start: 5, length: 2) == [0, 0])
    }

    @Test func batchesArePureFunctionsOfTheirPosition() throws {
        let set = try ToneClips(seed: 5, split: .train, windowLength: 2000)
        let a = try DataLoader(dataset: set, batchSize: 8, seed: 11, prefetch: false)
        let b = try DataLoader(dataset: set, batchSize: 8, seed: 11, prefetch: true)
        let x = try a.batch(epoch: 1, step: 3), y = try b.batch(epoch: 1, step: 3)
        #expect(x.images.shape == [8, 1, 2000])
        #expect(x.images.scalars == y.images.scalars && x.labels == y.labels)
    }

    @Test func oldConfigurationsStillDecode() throws {
        let options = try JSONDecoder().decode(DataOptions.self, from: Data(#"{"spec":"shapes","imageSize":28,"syntheticCount":100}"#.utf8))
        #expect(options.sampleRate == nil && options.labelPattern == nil)
        let description = try JSONDecoder().decode(DataDescription.self, from: Data(#"{"kind":"image","shape":[1,28,28],"domains":1}"#.utf8))
        #expect(description.sampleRate == nil && description.classNames == nil)
        // And unset audio fields are not written, so other data's files are unchanged.
        let json = String(decoding: try JSONEncoder().encode(DataOptions(spec: "shapes")), as: UTF8.self)
        #expect(!json.contains("sampleRate") && !json.contains("labelPattern"))
        let audio = DataDescription(kind: .audio, shape: [1, 8000], sampleRate: 8000, classNames: ["a"])
        #expect(try JSONDecoder().decode(DataDescription.self, from: JSONEncoder().encode(audio)) == audio)
    }

    @Test func listLinesCreditTheDatasets() {
        let lines = DatasetRegistry.builtIn.map { "\($0.usage)  \($0.summary)" }
        #expect(lines.contains { $0.contains("fsdd:PATH") && $0.contains("Free Spoken Digit Dataset (CC BY-SA 4.0)") })
        #expect(lines.contains { $0.hasPrefix("tones[:kinds]") })
        #expect(SampleKind.audio.noun == "audio")
    }
}
