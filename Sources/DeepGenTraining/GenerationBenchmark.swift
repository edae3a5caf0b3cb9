import DeepGen
import DeepGenKernels
import DeepGenModels
import Foundation

/// Steady-state generation throughput of WaveNet's cached generator (`deepgen bench generate
/// wavenet`; Scripts/bench/pytorch_generate.py is the PyTorch half): the benchmark's default
/// model with its initial weights, `batch` sequences of classes 0, 1, … stepped together, each
/// step drawing the next sample of every sequence.
public enum GenerationBenchmark {
    public static func measure(batch: Int, warmupSteps: Int = 200, seconds: Double = 10, seed: UInt64 = 0) throws -> TrainingBenchmarkResult {
        let config = try TrainingWorkload.wavenet.config()
        guard let model = try makeModel(config) as? WaveNetModel else { throw TrainingError.invalidConfiguration("the wavenet workload built another model") }
        let generator = WaveNetGenerator(model.network, labels: (0..<batch).map { $0 % 10 })
        var rng = RandomGenerator(seed: seed)
        var current = [Int](repeating: 128, count: batch)
        for _ in 0..<warmupSteps {
            generator.step(current)
            current = generator.draw(temperature: 1, using: &rng)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var steps = 0, elapsed = 0.0
        repeat {
            generator.step(current)
            current = generator.draw(temperature: 1, using: &rng)
            steps += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return TrainingBenchmarkResult(model: "wavenet-generate-\(batch)", batch: batch, threads: Parallel.threadCount, steps: steps,
                                       seconds: elapsed, imagesPerSecond: Double(steps * batch) / elapsed)
    }
}
