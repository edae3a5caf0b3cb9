import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

extension Sample {
    /// Generates `--count` clips of `--seconds` with an audio model, all sequences of a batch in
    /// one cached generator, and writes them as WAV (or FLAC) files: `--out DIR` gets
    /// `sample-K[-CLASS][-SPEAKER].wav` and `spectrograms.png` (the first 64 clips' spectrograms, five to a
    /// row), `--out FILE.wav` is one clip (`FILE-K.wav` for several).
    func sampleAudio(_ model: any AudioGenerating) throws {
        for (flag, given) in [("--prompt", prompt != nil), ("--length", length != nil), ("--top-k", topK != nil)] where given {
            throw RuntimeError("\(flag) is for text models; \(model.config.model) generates audio (--seconds sets the length)")
        }
        if rawWeights { throw RuntimeError("--raw-weights is for models trained with a weight average (a GAN or CycleGAN with --ema); \(model.config.model) has none") }
        guard let out else { throw RuntimeError("\(model.config.model) writes audio: --out DIR (one WAV file per clip) or --out FILE.wav") }
        let target = URL(fileURLWithPath: out), ext = target.pathExtension.lowercased()
        guard ext.isEmpty || ["wav", "flac"].contains(ext) else {
            throw RuntimeError("\(model.config.model) writes audio: --out must be a folder or end in .wav or .flac, got \(out)")
        }
        let classes = model.conditioningClasses
        if let classLabel {
            guard let classes else { throw RuntimeError("--class needs a model conditioned on classes; this \(model.config.model) was trained without them") }
            guard classes.contains(classLabel) else {
                throw RuntimeError("--class must be one of the trained classes \(classes.map(String.init).joined(separator: ", ")), got \(classLabel)")
            }
        }
        var speakerIndex: Int?
        if let speaker {
            guard let names = model.speakerNames else {
                throw RuntimeError("--speaker needs a model conditioned on speakers (train with --speakers); this \(model.config.model) was trained without them")
            }
            guard let i = names.firstIndex(of: speaker) else {
                throw RuntimeError("--speaker must be one of the trained speakers \(names.joined(separator: ", ")), got \(speaker)")
            }
            speakerIndex = i
        }
        let count = self.count ?? 1, seconds = self.seconds ?? 1, temperature = self.temperature ?? 1
        let length = Int((seconds * Double(model.sampleRate)).rounded())
        guard length >= 1 else { throw RuntimeError("--seconds \(seconds) is less than one sample at \(model.sampleRate) Hz") }
        // Classes in turn when none is named, as image models sample a conditional model.
        let labels: [Int?] = (0..<count).map { i in classLabel ?? classes.map { $0[i % $0.count] } }
        let speakers: [Int?] = speakerIndex.map { [Int?](repeating: $0, count: count) } ?? model.speakersInTurn(count)
        // Everything that can fail without generating is checked first: generation can take long.
        if let reason = AudioFile.unavailableReason { throw RuntimeError("writing WAV files needs libsndfile: \(reason)") }
        if ext.isEmpty {
            do { try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true) } catch {
                throw RuntimeError("cannot create the folder \(out): \(error.localizedDescription)")
            }
        }
        func url(_ k: Int) -> URL {
            if ext.isEmpty {
                let name = (labels[k].map { l in "-" + (model.classNames.flatMap { l < $0.count ? $0[l] : nil } ?? String(l)) } ?? "")
                    + (speakers[k].flatMap { s in model.speakerNames.map { "-" + $0[s] } } ?? "")
                return target.appendingPathComponent(String(format: "sample-%03d", k) + name + ".wav")
            }
            if count == 1 { return target }
            return target.deletingLastPathComponent().appendingPathComponent(target.deletingPathExtension().lastPathComponent + "-\(k)." + ext)
        }
        var rng = RandomGenerator(seed: seed)
        var written: [String] = [], firstClips: [[Float]] = []
        // Batches of 64 sequences share a generator; each batch is written as soon as it is done,
        // so memory holds one batch and a stopped run keeps what it finished.
        let started = Date(), batch = 64
        for first in stride(from: 0, to: count, by: batch) {
            let range = first ..< min(count, first + batch)
            let part = Array(labels[range])
            let clips = model.generate(labels: part, speakers: Array(speakers[range]), samples: length, temperature: temperature, using: &rng) { done in
                if done % 8000 == 0 || done == length {
                    FileHandle.standardError.write(Data(String(format: "\rclips %d–%d: %d of %d samples", first + 1, first + part.count, done, length).utf8))
                }
            }
            if ext.isEmpty { firstClips += clips.prefix(64 - firstClips.count) }
            for (i, clip) in clips.enumerated() {
                let destination = url(first + i)
                do { try AudioFile.write(clip, sampleRate: model.sampleRate, to: destination) } catch { throw RuntimeError("\(error)") }
                written.append(destination.path)
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        FileHandle.standardError.write(Data("\n".utf8))
        if ext.isEmpty {
            let url = target.appendingPathComponent("spectrograms.png")
            do { try Data(Spectrogram.gridPNG(firstClips, columns: 5).png).write(to: url, options: .atomic) } catch {
                throw RuntimeError("cannot write \(url.path): \(error.localizedDescription)")
            }
        }
        let audioSeconds = Double(count * length) / Double(model.sampleRate)
        print(String(format: "wrote %d clip%@ of %.2f s at %d Hz (%@); generated in %.2f s: %.0f samples/s, %.2f× real time",
                     count, count == 1 ? "" : "s", Double(length) / Double(model.sampleRate), model.sampleRate,
                     written.count <= 3 ? written.joined(separator: ", ") : "\(written[0]) … \(written.last!)",
                     elapsed, Double(count * length) / max(elapsed, 1e-9), audioSeconds / max(elapsed, 1e-9)))
    }
}
