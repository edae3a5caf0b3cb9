import Foundation
import Testing
@testable import DeepGen

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-ckpt-\(UUID())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private struct InjectedFailure: Error {}

@Suite struct CheckpointFiles {
    @Test func saveAndLoadKeepTensorsAndTypedMetadata() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = RandomGenerator(seed: 5)
        _ = rng.next()
        var checkpoint = Checkpoint(tensors: ["generator.main.0.weight": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])])
        checkpoint.insert(["generator.main.0.weight.exp_avg": Tensor(zeros: [2, 2])], under: "optimizer.")
        try checkpoint.setMetadataValue(1200, forKey: CheckpointKey.step)
        try checkpoint.setMetadataValue(3, forKey: CheckpointKey.epoch)
        try checkpoint.setMetadataValue(rng, forKey: CheckpointKey.randomGenerator)
        checkpoint.metadata[CheckpointKey.modelConfiguration] = #"{"ngf":64}"#
        let url = dir.appendingPathComponent("latest.safetensors")
        try checkpoint.save(to: url)

        let back = try Checkpoint.load(from: url)
        #expect(back.source == url.path)
        #expect(try back.metadataValue(Int.self, forKey: CheckpointKey.formatVersion) == Checkpoint.formatVersion)
        #expect(try back.metadataValue(Int.self, forKey: CheckpointKey.step) == 1200)
        #expect(try back.metadataValue(Int.self, forKey: CheckpointKey.epoch) == 3)
        #expect(try back.metadataValue(RandomGenerator.self, forKey: CheckpointKey.randomGenerator) == rng)
        #expect(back.metadata[CheckpointKey.modelConfiguration] == #"{"ngf":64}"#)
        #expect(try back.metadataValue(Int.self, forKey: "absent") == nil)
        #expect(back.tensors(under: "generator.")["main.0.weight"]?.scalars == [1, 2, 3, 4])
        #expect(back.tensors(under: "optimizer.").keys.sorted() == ["generator.main.0.weight.exp_avg"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["latest.safetensors"])
    }

    @Test(arguments: [AtomicFile.Stage.written, .synced])
    func failedWriteLeavesPreviousCheckpointIntact(stage: AtomicFile.Stage) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("latest.safetensors")
        try Checkpoint(tensors: ["w": Tensor([1, 2])]).save(to: url)
        let before = try Data(contentsOf: url)

        #expect(throws: InjectedFailure.self) {
            try Checkpoint(tensors: ["w": Tensor([9, 9, 9])]).save(to: url) { if $0 == stage { throw InjectedFailure() } }
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try Checkpoint.load(from: url).tensors["w"]?.scalars == [1, 2])
        // The temporary file is cleaned up.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["latest.safetensors"])
    }

    @Test func unwritableLocationNamesTheFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-deepgen-dir/latest.safetensors")
        do {
            try Checkpoint(tensors: ["w": Tensor([1])]).save(to: url)
            Issue.record("write into a missing directory succeeded")
        } catch let e as SafetensorsError {
            #expect(e.file == url.path)
            #expect(e.description.contains("cannot create temporary file"))
        }
    }

    @Test func validationReportsEveryMismatchAtOnce() throws {
        let checkpoint = Checkpoint(tensors: [
            "generator.a.weight": Tensor(zeros: [2, 3]),
            "generator.b.weight": Tensor(zeros: [4]),
            "generator.extra": Tensor(zeros: [1]),
            "generator.extra2": Tensor(zeros: [1]),
            "discriminator.x": Tensor(zeros: [1]),
        ])
        let expected: [String: [Int]] = ["a.weight": [2, 3], "b.weight": [5], "c.weight": [1], "d.bias": [2]]
        do {
            try checkpoint.validate(expected: expected, under: "generator.")
            Issue.record("mismatch not reported")
        } catch let e as CheckpointError {
            guard case let .mismatch(_, missing, unexpected, misshaped) = e else { Issue.record("\(e)"); return }
            #expect(missing == ["generator.c.weight", "generator.d.bias"])
            #expect(unexpected == ["generator.extra", "generator.extra2"])
            #expect(misshaped == [.init(name: "generator.b.weight", expected: [5], found: [4])])
            #expect(e.description.contains("generator.d.bias") && e.description.contains("generator.extra2"))
        }
        try checkpoint.validate(expected: ["x": [1]], under: "discriminator.")
        // Without a prefix, everything but optimizer state is compared.
        let whole = Checkpoint(tensors: ["w": Tensor([1]), "optimizer.w.exp_avg": Tensor([0])])
        try whole.validate(expected: ["w": [1]])
    }

    @Test func newerFormatAndBadMetadataAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("future.safetensors")
        try SafetensorsFile(tensors: [:], metadata: [CheckpointKey.formatVersion: "99"]).write(to: url)
        #expect(throws: CheckpointError.unsupportedVersion(file: url.path, version: 99, newestSupported: Checkpoint.formatVersion)) {
            try Checkpoint.load(from: url)
        }
        // A plain safetensors file (e.g. from PyTorch) has no DeepGen metadata and still loads.
        try SafetensorsFile(tensors: ["w": Tensor([1])]).write(to: url)
        #expect(try Checkpoint.load(from: url).metadata.isEmpty)

        var checkpoint = Checkpoint()
        checkpoint.metadata[CheckpointKey.step] = "twelve"
        #expect(throws: CheckpointError.self) { try checkpoint.metadataValue(Int.self, forKey: CheckpointKey.step) }
    }
}
