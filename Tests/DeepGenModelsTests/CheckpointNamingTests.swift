import Testing
import DeepGen
@testable import DeepGenModels

/// Checkpoint tensor names are `network.` + the PyTorch state_dict name; files of format 1, which
/// joined them without the dot, still load.
@Suite struct CheckpointNamingTests {
    @Test(arguments: ["dcgan", "vae", "cyclegan", "classifier"])
    func namesAreDottedStateDictNames(_ kind: String) throws {
        let model = try makeModel(tinyConfig(kind))
        let c = try model.checkpoint()
        let networks = model.networks.map { (name: $0.name, module: $0.module) } + ((model as? WeightAveraging)?.averagedNetworks ?? [])
        for n in networks {
            for name in n.module.stateDict().keys {
                #expect(c.tensors["\(n.name).\(name)"] != nil, "\(kind): no \(n.name).\(name)")
            }
        }
        #expect(c.tensors.keys.allSatisfy { key in
            networks.contains { key.hasPrefix("\($0.name).") || key.hasPrefix("optimizer.\($0.name).") } || key.hasPrefix("extra.")
        }, "\(kind): undotted names \(c.tensors.keys.sorted().prefix(5))")
        // The weights-only checkpoint holds exactly the networks' tensors.
        let weights = try model.weightsCheckpoint()
        #expect(weights.tensors.count == networks.reduce(0) { $0 + $1.module.stateDict().count })
    }

    @Test func formatOneCheckpointsStillLoad() throws {
        let config = tinyConfig("dcgan")
        let trained = try makeModel(config)
        var rng = RandomGenerator(seed: 1)
        _ = trained.trainStep(TrainingBatch(inputs: Tensor.uniform([4, 1, 28, 28], low: -1, high: 1, using: &rng), labels: []), using: &rng)
        // Rewrite today's names the way format 1 wrote them.
        let current = try trained.checkpoint()
        var old = Checkpoint()
        for (name, t) in current.tensors {
            var undotted = name
            for n in trained.networks {
                for prefix in ["\(n.name).", "optimizer.\(n.name)."] where name.hasPrefix(prefix) {
                    undotted = String(prefix.dropLast()) + name.dropFirst(prefix.count)
                }
            }
            if name.hasPrefix("extra.") { undotted = "extra" + name.dropFirst("extra.".count) }
            old.tensors[undotted] = t
        }
        old.metadata = current.metadata
        old.metadata[CheckpointKey.formatVersion] = "1"
        let restored = try makeModel(config)
        try restored.restore(from: old)
        for (a, b) in zip(trained.networks, restored.networks) {
            let sa = a.module.stateDict(), sb = b.module.stateDict()
            #expect(sa.keys.allSatisfy { sa[$0]!.scalars == sb[$0]?.scalars }, "\(a.name) differs after loading format 1")
        }
    }

    /// A checkpoint whose extra state is malformed is refused with a message, never a trap (the
    /// fuzzer's `checkpoint` target restores such files).
    @Test func malformedExtraStateIsRefused() throws {
        let config = tinyConfig("dcgan")
        let saved = try makeModel(config).checkpoint()
        for bad in [Tensor(Float.nan), Tensor(Float.infinity), Tensor(-1), Tensor(2.5), Tensor(zeros: [2])] {
            var c = saved
            c.tensors["extra.discriminator_steps"] = bad
            #expect(throws: CheckpointRestoreError.self) { try makeModel(config).restore(from: c) }
        }
    }
}
