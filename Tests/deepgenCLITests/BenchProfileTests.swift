import Foundation
import Testing

/// `deepgen bench train --profile`: the table of where a step's time goes, and its rows in the JSON
/// line, whose milliseconds add up to the timed steps' wall time.
@Suite struct BenchProfileTests {
    @Test func profilePrintsTheStepOpByOp() throws {
        let r = try CLI.run(["bench", "train", "mlp-vae", "--seconds", "0.05", "--warmup-steps", "1", "--profile", "--json"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("Wall time per step"))
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("{") })
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let rows = try #require(result["profile"] as? [[String: Any]])
        func has(_ phase: String, _ op: String, _ shape: [Int]) -> Bool {
            rows.contains { $0["phase"] as? String == phase && $0["op"] as? String == op && $0["shape"] as? [Int] == shape }
        }
        // The VAE's decoder output layer, its backward step and Adam's update.
        #expect(has("forward", "linear", [128, 784]) && has("backward", "linear", [128, 784]))
        #expect(has("optimizer", "update of vae", []))
        let profiled = rows.reduce(0.0) { $0 + ($1["seconds"] as? Double ?? 0) }
        let seconds = try #require(result["seconds"] as? Double)
        #expect(profiled <= seconds * 1.001 && profiled > seconds * 0.5, "the rows account for the timed steps: \(profiled) of \(seconds) s")

        let plain = try CLI.run(["bench", "train", "mlp-vae", "--seconds", "0.05", "--warmup-steps", "0", "--json"])
        #expect(plain.status == 0 && !plain.output.contains("Wall time per step") && !plain.output.contains("\"profile\""))
    }
}
