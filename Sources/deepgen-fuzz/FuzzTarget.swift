import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// The readers under test. Each must return or throw for any input, never crash: the data readers
/// with a `DataError`, the safetensors reader with a `SafetensorsError`, checkpoint restoring
/// with any error that names the problem.
enum FuzzTarget: String, CaseIterable {
    case idx, png, jpeg, npy, safetensors, checkpoint

    /// Parses `bytes` with this reader; errors are the expected outcome for most inputs.
    func run(_ bytes: [UInt8]) {
        do {
            switch self {
            case .idx:
                _ = try IDXArray.parse(bytes, file: "fuzz.idx", maxDecompressedBytes: 1 << 26)
            case .png:
                let image = try ImageCodec.decodePNG(bytes, file: "fuzz.png", maxSamples: 1 << 20)
                _ = image.rgba8()
            case .jpeg:
                _ = try ImageCodec.decodeJPEG(bytes, file: "fuzz.jpg", maxSamples: 1 << 20)
            case .npy:
                let array = try NPYArray.parse(bytes, file: "fuzz.npy")
                // What was read must write back to bytes that read back identically (compared as
                // bytes: NaN payloads make == unreliable for floats).
                let bytes = array.encoded()
                let again = try NPYArray.parse(bytes, file: "re.npy")
                precondition(again.encoded() == bytes, "npy round trip changed the array")
            case .safetensors:
                let file = try SafetensorsFile(decoding: Data(bytes), file: "fuzz.safetensors")
                let encoded = try file.encoded()
                let again = try SafetensorsFile(decoding: encoded, file: "re.safetensors")
                let reencoded = try again.encoded()
                precondition(reencoded == encoded, "safetensors round trip changed the file")
            case .checkpoint:
                try restoreCheckpoint(bytes)
            }
        } catch is DataError where [.idx, .png, .jpeg, .npy].contains(self) {
            return
        } catch is SafetensorsError where self == .safetensors {
            return
        } catch where self == .checkpoint {
            return
        } catch {
            fatalError("\(self) reader threw an unexpected error: \(error)")
        }
    }

    /// Reads a checkpoint, decodes the trainer's metadata and restores it into a small GAN on 2-D
    /// points (the model of the seed `Tests/DeepGenTrainingTests/Fixtures/legacy-runs/gan-ring8`),
    /// the way `deepgen train --resume` and `deepgen sample` do.
    func restoreCheckpoint(_ bytes: [UInt8]) throws {
        let checkpoint = try Checkpoint(decoding: Data(bytes), source: "fuzz.safetensors")
        _ = try? checkpoint.metadataValue(ModelConfig.self, forKey: CheckpointKey.modelConfiguration)
        _ = try? checkpoint.metadataValue(LoaderState.self, forKey: "deepgen.loader")
        _ = try? checkpoint.metadataValue(RandomGenerator.self, forKey: CheckpointKey.randomGenerator)
        _ = try? checkpoint.metadataValue(DataOptions.self, forKey: "deepgen.data")
        let model = try makeModel(ModelConfig.decode(json: Self.seedModel))
        try model.restore(from: checkpoint, weightsOnly: bytes.count % 2 == 0)
        try model.restore(from: checkpoint)
    }

    /// The seed checkpoint's model configuration (the flat format of its time).
    static let seedModel = """
        {"batchSize":32,"beta1":0.5,"beta2":0.999,"classCount":10,"criticSteps":1,"cycleWeight":10,"dataScale":0.70794684,\
        "dataset":"ring8","decayEpochs":0,"epochs":2,"gradientPenaltyWeight":10,"hiddenSize":8,"identityFraction":0.5,\
        "klWeight":1,"latentSize":2,"learningRate":0.001,"likelihood":"bernoulli","model":"gan","objective":"non-saturating",\
        "patchLayers":3,"poolSize":50,"residualBlocks":9,"sampleShape":[2],"seed":0,"width":64}
        """
}
