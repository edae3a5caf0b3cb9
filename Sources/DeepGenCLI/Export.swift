import ArgumentParser
import DeepGen
import DeepGenModels
import DeepGenTraining
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model's weights alone (no optimizer state) as a safetensors file, for sampling, evaluation or PyTorch.",
        discussion: """
        Tensor names are PyTorch state_dict names under each network (generator.main.0.weight, …); the \
        model configuration is in the file's metadata, so `deepgen sample`, `eval` and `--extractor` take it \
        like a checkpoint.
        """)

    @Argument(help: "A run folder or a checkpoint file.") var source: String
    @Option(help: "The .safetensors file to write.") var out: String
    @Flag(help: "Replace --out if it exists.") var force = false

    func validate() throws {
        if URL(fileURLWithPath: out).pathExtension.lowercased() != "safetensors" {
            throw ValidationError("--out must end in .safetensors, got \(out)")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: url.path) && !force {
            throw RuntimeError("\(out) exists; pass --force to replace it")
        }
        let loaded = try load(source)
        var checkpoint = try loaded.model.weightsCheckpoint()
        try checkpoint.setMetadataValue(loaded.data, forKey: Trainer.dataKey)
        if let epoch = loaded.epoch { try checkpoint.setMetadataValue(epoch, forKey: CheckpointKey.epoch) }
        try checkpoint.save(to: url)
        let parameters = checkpoint.tensors.values.reduce(0) { $0 + $1.count }
        print("wrote \(checkpoint.tensors.count) tensors (\(parameters) values) of \(loaded.config.model) to \(out)")
    }
}
