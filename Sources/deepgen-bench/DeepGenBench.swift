import ArgumentParser
import DeepGen
import DeepGenKernels
import Foundation

@main
struct DeepGenBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deepgen-bench",
        abstract: "Benchmarks for DeepGen (build with -c release).",
        subcommands: [Kernels.self, Peak.self])
}

/// `deepgen-bench kernels`: GFLOP/s of the compute kernels, beside numpy where it is installed.
struct Kernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the kernels (GEMM, ...) at 1 and 2 threads and compare with numpy.")

    @Option(help: "Comma-separated thread counts to time, e.g. 1,2.")
    var threads: String = "1,2"

    @Option(name: .customLong("repeat"), help: "Timed runs per shape and thread count; the best is reported.")
    var repeats: Int = 7

    @Option(help: "Comma-separated sections to run (available: \(benchSections.map(\.name).joined(separator: ", "))).")
    var sections: String = benchSections.map(\.name).joined(separator: ",")

    @Option(help: """
        Comma-separated GEMM shapes for the gemm section instead of its own, as MxKxN with an \
        optional suffix tA and/or tB for an operand stored transposed (PyTorch's Linear forward \
        is tB: 768x128x384tB), e.g. 768x128x384tB,384x768x128tA.
        """)
    var gemmShapes: String?

    @Flag(help: "Do not time numpy even if python3 with numpy is available.")
    var noNumpy = false

    @Flag(help: """
        Unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for numpy, so OpenBLAS picks its kernels for \
        this CPU (by default numpy runs with the environment as it is).
        """)
    var openblasAutodetect = false

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    var chosenSections: [BenchSection] {
        let names = Set(sections.split(separator: ",").map { String($0) })
        let custom = gemmShapes.map { (try? GEMMShape.list($0)) ?? [] }
        return benchSections.filter { names.contains($0.name) }.map { $0.name == "gemm" && custom != nil ? gemmSection(custom!) : $0 }
    }

    func validate() throws {
        let parts = threads.split(separator: ",")
        guard !parts.isEmpty, parts.count == threadCounts.count, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be a comma-separated list of positive integers, got '\(threads)'")
        }
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
        if let gemmShapes {
            do { _ = try GEMMShape.list(gemmShapes) } catch { throw ValidationError("--gemm-shapes: \(error)") }
            guard chosenSections.contains(where: { $0.name == "gemm" }) else {
                throw ValidationError("--gemm-shapes: the gemm section is not among --sections '\(sections)'")
            }
        }
        let known = Set(benchSections.map(\.name))
        for s in sections.split(separator: ",") where !known.contains(String(s)) {
            throw ValidationError("unknown section '\(s)'; available: \(known.sorted().joined(separator: ", "))")
        }
    }

    func run() throws {
        var numpy = noNumpy ? nil : NumpyTimer.detect()
        if openblasAutodetect { numpy?.unset = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] }
        print("deepgen-bench kernels — \(Date()) — threads \(threadCounts.map(String.init).joined(separator: ",")), best of \(repeats)")
        let env = ProcessInfo.processInfo.environment
        let openblasVars = env.keys.filter { $0.hasPrefix("OPENBLAS_") && !(numpy?.unset.contains($0) ?? false) }
            .sorted().map { "\($0)=\(env[$0]!)" }
        print("cores: \(ProcessInfo.processInfo.activeProcessorCount); numpy: \(numpy?.version ?? "not timed")"
              + (numpy == nil ? "" : "; numpy env: " + (openblasVars.isEmpty ? "no OPENBLAS_* settings" : openblasVars.joined(separator: " "))))
        for section in chosenSections {
            print("\n## \(section.name)\n")
            print("| \(section.shapeHeader) | threads | DeepGen ms | DeepGen GFLOP/s | numpy GFLOP/s | DeepGen/numpy |")
            print("|---|---:|---:|---:|---:|---:|")
            // numpy and DeepGen are timed back to back for each row (one short python process per
            // row), so a load change on a shared machine hits both sides of a ratio alike.
            for bench in section.cases {
                for t in threadCounts {
                    let np = bench.numpyMatmul.flatMap { numpy?.time([$0], threads: t, repeats: repeats).first ?? nil }
                    let rate = bench.run(t, repeats)
                    let npText = np.map { String(format: "%.1f", $0) } ?? "–"
                    let ratio = np.map { String(format: "%.2f", rate / $0) } ?? "–"
                    let ms = bench.flops / (rate * 1e9) * 1e3
                    print("| \(bench.label) | \(t) | \(String(format: "%.3f", ms)) | \(String(format: "%.1f", rate)) | \(npText) | \(ratio) |")
                    fflush(stdout)
                }
            }
        }
    }
}

// MARK: - Sections

/// One benchmark: a label, the FLOPs of one call (for its time), a runner returning GFLOP/s for
/// (threads, repeats), and optionally the `M, K, N` of an equivalent numpy `matmul` to time beside it.
struct BenchCase {
    var label: String
    var flops: Double
    var numpyMatmul: GEMMShape?
    var run: (_ threads: Int, _ repeats: Int) -> Double
}

/// A named group of benchmarks, printed as one table.
struct BenchSection {
    var name: String
    var shapeHeader: String
    var cases: [BenchCase]
}

/// Every section `kernels` knows; `--sections` selects among them by name.
let benchSections: [BenchSection] = [
    gemmSection(),
    convSection(),
]

/// The convolutions of the 28×28 DCGAN at batch 64, through the Tensor API (im2col/col2im, the
/// GEMM and the layout copies included): forward alone, and forward plus the gradients of input
/// and weight (counted as 3× the forward FLOPs).
func convSection() -> BenchSection {
    struct Layer { var name: String; var transposed: Bool; var cin, cout, size, stride, pad, outPad: Int }
    let layers = [
        Layer(name: "conv 1→64 5×5 s2, 28×28", transposed: false, cin: 1, cout: 64, size: 28, stride: 2, pad: 2, outPad: 0),
        Layer(name: "conv 64→128 5×5 s2, 14×14", transposed: false, cin: 64, cout: 128, size: 14, stride: 2, pad: 2, outPad: 0),
        Layer(name: "convT 256→128 5×5 s1, 7×7", transposed: true, cin: 256, cout: 128, size: 7, stride: 1, pad: 2, outPad: 0),
        Layer(name: "convT 128→64 5×5 s2, 7→14", transposed: true, cin: 128, cout: 64, size: 7, stride: 2, pad: 2, outPad: 1),
    ]
    var cases: [BenchCase] = []
    for l in layers {
        // Multiply-adds: every output element of a convolution (every input element of a transposed
        // one) takes Cin·k² (Cout·k²) of them.
        let outSide = (l.size + 2 * l.pad - 5) / l.stride + 1
        let macs = l.transposed ? Double(64 * l.cin * l.size * l.size * l.cout * 25)
                                : Double(64 * l.cout * outSide * outSide * l.cin * 25)
        for backward in [false, true] {
            let flops = 2 * macs * (backward ? 3 : 1)
            cases.append(BenchCase(label: "\(l.name) \(backward ? "fwd+bwd" : "fwd")", flops: flops, numpyMatmul: nil) { threads, repeats in
                var rng = RandomGenerator(seed: 1)
                let x = Tensor.normal([64, l.cin, l.size, l.size], using: &rng).requiringGrad(backward)
                let w = Tensor.normal(l.transposed ? [l.cin, l.cout, 5, 5] : [l.cout, l.cin, 5, 5], using: &rng).requiringGrad(backward)
                func apply() -> Tensor {
                    l.transposed ? x.convTranspose2d(weight: w, stride: Size2(l.stride, l.stride), padding: Size2(l.pad, l.pad),
                                                     outputPadding: Size2(l.outPad, l.outPad))
                                 : x.conv2d(weight: w, stride: Size2(l.stride, l.stride), padding: Size2(l.pad, l.pad))
                }
                let saved = Parallel.threadCount
                Parallel.threadCount = threads
                defer { Parallel.threadCount = saved }
                return bestRate(flops: flops, repeats: repeats) {
                    if backward { _ = gradients(of: apply().sum(), with: [x, w]) } else { _ = withoutGrad(apply) }
                }
            })
        }
    }
    return BenchSection(name: "conv", shapeHeader: "DCGAN layer, batch 64", cases: cases)
}

/// One GEMM of the benchmark: `op(A)` is M×K, `op(B)` K×N, either stored transposed.
struct GEMMShape: Equatable {
    var m: Int, k: Int, n: Int, transA = false, transB = false

    var label: String { "\(m)×\(k)×\(n)" + (transA ? " Aᵀ" : "") + (transB ? " Bᵀ" : "") }

    /// `MxKxN` (or `M×K×N`) with optional `tA`/`tB` suffixes, comma-separated.
    static func list(_ text: String) throws -> [GEMMShape] {
        struct Bad: Error, CustomStringConvertible { var description: String }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty else { throw Bad(description: "no shapes given") }
        return try items.map { item in
            var rest = Substring(item.replacingOccurrences(of: "×", with: "x"))
            var shape = GEMMShape(m: 0, k: 0, n: 0)
            while let suffix = ["tA", "tB"].first(where: { rest.hasSuffix($0) }) {
                if suffix == "tA" { shape.transA = true } else { shape.transB = true }
                rest = rest.dropLast(2)
            }
            let sizes = rest.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            // Each size checked before the products, which could overflow for absurd ones.
            guard sizes.count == 3, let m = sizes[0], let k = sizes[1], let n = sizes[2], (1...(1 << 28)) ~= m,
                  (1...(1 << 28)) ~= k, (1...(1 << 28)) ~= n, m * k <= 1 << 28, k * n <= 1 << 28, m * n <= 1 << 28 else {
                throw Bad(description: "'\(item)' is not MxKxN with positive sizes (at most 2^28 elements per matrix), optionally followed by tA and/or tB")
            }
            shape.m = m; shape.k = k; shape.n = n
            return shape
        }
    }
}

func gemmSection(_ shapes: [GEMMShape] = [
    GEMMShape(m: 256, k: 256, n: 256), GEMMShape(m: 512, k: 512, n: 512), GEMMShape(m: 1024, k: 1024, n: 1024),
    GEMMShape(m: 2048, k: 2048, n: 2048), GEMMShape(m: 64, k: 784, n: 256), GEMMShape(m: 128, k: 784, n: 400),
    GEMMShape(m: 3136, k: 288, n: 64), GEMMShape(m: 64, k: 6272, n: 1),
]) -> BenchSection {
    BenchSection(name: "gemm", shapeHeader: "GEMM M×K×N", cases: shapes.map { s in
        BenchCase(label: s.label, flops: 2.0 * Double(s.m * s.k * s.n), numpyMatmul: s) { threads, repeats in
            timeSGEMM(s, threads: threads, repeats: repeats)
        }
    })
}

/// GFLOP/s of `C = op(A)·op(B)` (row-major, operands packed tight) at the given thread count.
func timeSGEMM(_ s: GEMMShape, threads: Int, repeats: Int) -> Double {
    let (m, k, n) = (s.m, s.k, s.n)
    var seed: UInt32 = 1
    func rand() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
    let a = (0..<(m * k)).map { _ in rand() }, b = (0..<(k * n)).map { _ in rand() }
    var c = [Float](repeating: 0, count: m * n)
    let saved = Parallel.threadCount
    Parallel.threadCount = threads
    defer { Parallel.threadCount = saved }
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                bestRate(flops: flops, repeats: repeats) {
                    sgemm(transA: s.transA, transB: s.transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: s.transA ? m : k,
                          b: pb.baseAddress!, ldb: s.transB ? k : n, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }
}

/// Warms up, picks an iteration count so one timed run lasts ≥ 30 ms, and returns the best of
/// `repeats` runs in GFLOP/s.
func bestRate(flops: Double, repeats: Int, _ body: () -> Void) -> Double {
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
    body(); body()
    var iters = 1
    while true {
        let t0 = now()
        for _ in 0..<iters { body() }
        let dt = now() - t0
        if dt >= 0.03 { break }
        iters *= dt < 0.003 ? 8 : 2
    }
    var best = Double.infinity
    for _ in 0..<repeats {
        let t0 = now()
        for _ in 0..<iters { body() }
        best = min(best, (now() - t0) / Double(iters))
    }
    return flops / best / 1e9
}

// MARK: - numpy

/// Times numpy's `matmul` on the same shapes in a `python3` subprocess, with OMP/OpenBLAS thread
/// counts set in its environment (other OPENBLAS_* variables are passed through unchanged).
struct NumpyTimer {
    var version: String
    /// Environment variables removed for the python process.
    var unset: [String] = []

    static func detect() -> NumpyTimer? {
        guard let out = python(["-c", "import numpy; print(numpy.__version__)"], env: [:]) else { return nil }
        let v = out.trimmingCharacters(in: .whitespacesAndNewlines)
        return v.isEmpty ? nil : NumpyTimer(version: v)
    }

    /// GFLOP/s per shape (nil where a shape is nil or numpy failed).
    func time(_ shapes: [GEMMShape?], threads: Int, repeats: Int) -> [Double?] {
        let list = shapes.map { s in s.map { "(\($0.m),\($0.k),\($0.n),\($0.transA ? 1 : 0),\($0.transB ? 1 : 0))" } ?? "None" }
            .joined(separator: ",")
        let script = """
            import time, numpy as np
            def best(f, flops, repeats):
                f(); f()
                iters = 1
                while True:
                    t0 = time.perf_counter()
                    for _ in range(iters): f()
                    dt = time.perf_counter() - t0
                    if dt >= 0.03: break
                    iters *= 8 if dt < 0.003 else 2
                b = float('inf')
                for _ in range(\(repeats)):
                    t0 = time.perf_counter()
                    for _ in range(iters): f()
                    b = min(b, (time.perf_counter() - t0) / iters)
                return flops / b / 1e9
            rng = np.random.default_rng(1)
            for s in [\(list)]:
                if s is None:
                    print('nan'); continue
                m, k, n, ta, tb = s
                a = rng.random((k, m) if ta else (m, k), dtype=np.float32) - 0.5
                b = rng.random((n, k) if tb else (k, n), dtype=np.float32) - 0.5
                a, b = (a.T if ta else a), (b.T if tb else b)
                c = np.empty((m, n), dtype=np.float32)
                print(best(lambda: np.matmul(a, b, out=c), 2.0 * m * n * k, \(repeats)), flush=True)
            """
        let env = ["OMP_NUM_THREADS": "\(threads)", "OPENBLAS_NUM_THREADS": "\(threads)"]
        guard let out = Self.python(["-c", script], env: env, unset: unset) else { return shapes.map { _ in nil } }
        let values = out.split(separator: "\n").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        return shapes.indices.map { i in i < values.count ? values[i].flatMap { $0.isNaN ? nil : $0 } : nil }
    }

    /// Runs `python3 args` with `env` added to (and `unset` removed from) this process's
    /// environment; stdout on success.
    static func python(_ args: [String], env: [String: String], unset: [String] = []) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        var environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        for name in unset { environment[name] = nil }
        p.environment = environment
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
