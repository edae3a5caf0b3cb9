import DeepGen
import DeepGenModels
import Foundation

extension Sample {
    /// Continues `--prompt` with a text model, streaming each character to standard output as it
    /// is drawn (or writing `--out FILE.txt`); `--count` samples are separated by a line of dashes.
    func sampleText(_ model: any TextGenerating) throws {
        if classLabel != nil { throw RuntimeError("--class is for conditional image models; \(model.config.model) has no classes") }
        if rawWeights { throw RuntimeError("--raw-weights is for models trained with a weight average (a GAN or CycleGAN with --ema); \(model.config.model) has none") }
        if let out, URL(fileURLWithPath: out).pathExtension.lowercased() != "txt" {
            throw RuntimeError("\(model.config.model) writes text: --out must end in .txt, got \(out)")
        }
        let vocabulary = model.vocabulary
        if let topK, topK > vocabulary.count {
            throw RuntimeError("--top-k \(topK) is more than the \(vocabulary.count) characters of the model's vocabulary")
        }
        let ids = try Self.encode(prompt ?? "", vocabulary: vocabulary)
        let temperature = self.temperature ?? 0.8, length = self.length ?? 500, count = self.count ?? 1
        var rng = RandomGenerator(seed: seed)
        var text = String.UnicodeScalarView()
        let toStandardOutput = out == nil
        func write(_ piece: String) {
            if toStandardOutput {
                FileHandle.standardOutput.write(Data(piece.utf8))
            } else {
                text.append(contentsOf: piece.unicodeScalars)
            }
        }
        let started = Date()
        for i in 0..<count {
            if i > 0 { write("\n---\n") }
            write(prompt ?? "")
            try model.generate(prompt: ids, length: length, temperature: temperature, topK: topK, using: &rng) { id in
                write(String(vocabulary[id]))
            }
        }
        let seconds = Date().timeIntervalSince(started)
        // On standard error, so streamed text stays clean.
        FileHandle.standardError.write(Data(String(format: "%@generated %d characters in %.2f s (%.0f characters/s)\n", toStandardOutput ? "\n" : "",
                                                   count * length, seconds, Double(count * length) / max(seconds, 1e-9)).utf8))
        if let out {
            do { try Data(String(text).utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw RuntimeError("cannot write \(out): \(error.localizedDescription)")
            }
            print("wrote \(count) sample\(count == 1 ? "" : "s") of \(length) characters to \(out)")
        } else {
            write("\n")
        }
    }

    /// The ids of `prompt`'s characters; characters outside the vocabulary are an error naming them.
    static func encode(_ prompt: String, vocabulary: [Unicode.Scalar]) throws -> [Int] {
        var index: [Unicode.Scalar: Int] = [:]
        for (i, c) in vocabulary.enumerated() { index[c] = i }
        let unknown = Set(prompt.unicodeScalars.filter { index[$0] == nil })
        if !unknown.isEmpty {
            let names = unknown.sorted { $0.value < $1.value }.map { "'\(String($0).debugDescription.dropFirst().dropLast())' (U+\(String($0.value, radix: 16, uppercase: true)))" }
            throw RuntimeError("the prompt has characters the model never saw: \(names.joined(separator: ", ")); its vocabulary is the \(vocabulary.count) characters of its training text")
        }
        return prompt.unicodeScalars.map { index[$0]! }
    }
}
