import DeepGen
import Foundation
import Testing

/// The tensors of a safetensors file by name, as raw bytes (the test target links no DeepGen module).
func safetensorsTensors(_ url: URL) throws -> [String: Data] {
    let data = try Data(contentsOf: url)
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] ?? [:]
    var tensors: [String: Data] = [:]
    for (name, entry) in header where name != "__metadata__" {
        guard let offsets = (entry as? [String: Any])?["data_offsets"] as? [Int] else { continue }
        tensors[name] = data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1]))
    }
    return tensors
}

/// A `deepgen train` killed with SIGKILL at a random step and resumed (or, killed before its first
/// checkpoint, started again in the same folder) ends with the same checkpoint as an uninterrupted
/// run, for every model name.
@Suite(.serialized) struct ResumeAfterKillTests {
    static let runs: [(String, [String])] = [
        ("gan", ["--data", "ring8", "--synthetic-count", "256", "--batch-size", "32", "--hidden-size", "16"]),
        ("dcgan", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--width", "4", "--latent-size", "8"]),
        ("wgan-gp", ["--data", "ring8", "--synthetic-count", "256", "--batch-size", "32", "--hidden-size", "16"]),
        ("cdcgan", ["--data", "shapes:circle,cross", "--synthetic-count", "96", "--batch-size", "8", "--width", "4", "--latent-size", "8"]),
        ("vae", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--hidden-size", "16", "--latent-size", "4", "--binarize"]),
        ("conv-vae", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--width", "4", "--latent-size", "4"]),
        ("cyclegan", ["--data", "shapes:square,circle", "--synthetic-count", "32", "--batch-size", "2", "--width", "4", "--residual-blocks", "1"]),
        ("classifier", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--width", "4", "--feature-size", "8"]),
    ]

    func steps(_ run: URL) -> Int {
        guard let text = try? String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8) else { return 0 }
        return max(0, text.split(separator: "\n").count - 1)
    }

    @Test(arguments: runs)
    func killedAtARandomStepEndsAsAnUninterruptedRun(_ model: String, _ options: [String]) throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let straight = dir.appendingPathComponent("straight"), killed = dir.appendingPathComponent("killed")
        let train = ["train", model] + options + ["--epochs", "2", "--decay-epochs", "1", "--threads", "2"]
        let done = try CLI.run(train + ["--out", straight.path])
        #expect(done.status == 0, "\(done.output)")
        let total = steps(straight)
        try #require(total >= 3, "\(model) ran \(total) steps")

        // Kill once the run has logged a random number of its steps: seeded by the model's name
        // (DEEPGEN_KILL_SEED varies it), so a failure can be repeated.
        let seed = UInt64(ProcessInfo.processInfo.environment["DEEPGEN_KILL_SEED"] ?? "") ?? model.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }
        var rng = RandomGenerator(seed: seed)
        let target = 1 + rng.nextInt(below: total - 1)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = train + ["--out", killed.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && steps(killed) < target && Date() < deadline { usleep(2_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

        // Any checkpoint (an epoch's may be written before `latest`) makes the run resumable.
        let files = (try? FileManager.default.contentsOfDirectory(atPath: killed.appendingPathComponent("checkpoints").path)) ?? []
        let hasCheckpoint = files.contains { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
        let finish = hasCheckpoint ? try CLI.run(["train", "--resume", killed.path]) : try CLI.run(train + ["--out", killed.path])
        #expect(finish.status == 0, "\(model) killed after \(steps(killed)) of \(total) steps: \(finish.output)")
        let a = try safetensorsTensors(straight.appendingPathComponent("checkpoints/latest.safetensors"))
        let b = try safetensorsTensors(killed.appendingPathComponent("checkpoints/latest.safetensors"))
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "\(model) killed at step ~\(target) of \(total) (\(hasCheckpoint ? "resumed" : "started again")): \(differing.prefix(4)) differ")
    }
}
