import DeepGen
import Foundation
import Testing

/// Runs `python3` with `arguments`; returns its exit status and standard output.
private func runPython(_ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return (-1, "") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether python3 can import the reference `safetensors` package and numpy.
private let pythonSafetensorsAvailable = runPython(["-c", "import safetensors.numpy, numpy"]).status == 0

/// Reads the DeepGen file (argv[1]) with the reference package and prints what it saw as JSON;
/// writes a file of mixed dtypes (argv[2]) for DeepGen to read.
private let script = """
import json, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
tensors = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="np") as f:
    metadata = f.metadata()
print(json.dumps({"metadata": metadata, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
    "data": [float(x) for x in v.reshape(-1)]} for k, v in tensors.items()}}))
save_file({
    "net.weight": np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype=np.float32),
    "net.bias": np.array([0.1, -0.2], dtype=np.float64),
    "half": np.array([1.0, -0.5, 65504.0], dtype=np.float16),
    "bn.num_batches_tracked": np.array(42, dtype=np.int64),
    "empty": np.zeros((0, 3), dtype=np.float32),
}, sys.argv[2], metadata={"origin": "python"})
"""

@Suite struct SafetensorsInterop {
    @Test(.enabled(if: pythonSafetensorsAvailable, "python3 with safetensors and numpy is not available"))
    func exchangesFilesWithPythonSafetensors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-interop-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ours = dir.appendingPathComponent("deepgen.safetensors"), theirs = dir.appendingPathComponent("python.safetensors")

        let tensors: [String: Tensor] = [
            "generator.main.0.weight": Tensor(shape: [2, 3, 1, 1], scalars: [0.1, -0.2, 0.3, 1e-30, -1e30, 7]),
            "generator.main.1.bias": Tensor([0.5, -0.25]),
            "scalar": Tensor(3.5),
            "empty": Tensor(zeros: [0, 2]),
        ]
        let metadata = ["step": "12", "note": "quote \" and ünïcode"]
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: ours)

        let (status, output) = runPython(["-c", script, ours.path, theirs.path])
        try #require(status == 0, "python exited with \(status)")
        struct Seen: Decodable {
            struct Entry: Decodable { var dtype: String; var shape: [Int]; var data: [Double] }
            var metadata: [String: String]
            var tensors: [String: Entry]
        }
        let seen = try JSONDecoder().decode(Seen.self, from: Data(output.utf8))
        #expect(seen.metadata == metadata)
        #expect(Set(seen.tensors.keys) == Set(tensors.keys))
        for (name, t) in tensors {
            let entry = try #require(seen.tensors[name])
            #expect(entry.dtype == "float32" && entry.shape == t.shape, "\(name)")
            #expect(entry.data.map(Float.init) == t.scalars, "\(name)")
        }

        let back = try SafetensorsFile(contentsOf: theirs)
        #expect(back.metadata == ["origin": "python"])
        #expect(back.tensors["net.weight"]?.shape == [2, 3])
        #expect(back.tensors["net.weight"]?.scalars == [1.5, -2, 3.25, 0, 1e-3, -7])
        #expect(back.tensors["net.bias"]?.scalars == [Float(0.1), Float(-0.2)])
        #expect(back.tensors["half"]?.scalars == [1, -0.5, 65504])
        #expect(back.tensors["bn.num_batches_tracked"]?.shape == [] && back.tensors["bn.num_batches_tracked"]?.scalar == 42)
        #expect(back.tensors["empty"]?.shape == [0, 3])
    }
}
