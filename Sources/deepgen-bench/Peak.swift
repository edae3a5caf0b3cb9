import ArgumentParser
import DeepGenKernels
import Foundation

/// `deepgen-bench peak`: the CPU's single-precision FMA throughput, measured — the ceiling the
/// benchmark models' achieved GFLOP/s are compared with (Scripts/bench/ab.py --peak). A register-
/// resident loop of independent fused multiply-adds on the widest vectors the build targets
/// (`-march=native`), one copy per thread; a clock read from /proc/cpuinfo would be unreliable in VMs.
struct Peak: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the CPU's FMA peak in GFLOP/s (float32) at the given thread counts.")

    @Option(help: "Comma-separated thread counts, e.g. 1,2.")
    var threads: String = "1,2"

    @Option(help: "Seconds each thread count is timed (the best of five equal slices is reported).")
    var seconds: Double = 1

    @Flag(help: "Print one JSON object on the last line: {\"peak_gflops\": {\"1\": G, ...}}.")
    var json = false

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !threadCounts.isEmpty, threadCounts.count == threads.split(separator: ",").count,
              threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be a comma-separated list of positive integers, got '\(threads)'")
        }
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60], got \(seconds)") }
    }

    func run() throws {
        var results: [String: Double] = [:]
        for t in threadCounts {
            let rate = fmaPeak(threads: t, seconds: seconds)
            results[String(t)] = rate
            print(String(format: "FMA peak, %d thread%@: %.1f GFLOP/s (float32)", t, t == 1 ? "" : "s", rate))
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["peak_gflops": results], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// Accumulators per thread: enough independent chains to cover the FMA latency (4 cycles) on
/// every FMA port (2 on current x86), with room to spare; all stay in registers — 16-lane vectors
/// where the target has 32 vector registers (AVX-512), 8-lane ones where it has 16 (AVX2: 12
/// 16-lane accumulators would spill).
private let chains = 12
/// FMAs per chain between clock reads.
private let innerIterations = 1 << 20
/// Floats per accumulator.
private var lanes: Int { vectorRegisterCount == 32 ? 16 : 8 }

@inline(never)
private func fmaLoop(_ iterations: Int, seed: Float) -> Float {
    vectorRegisterCount == 32
        ? fmaLoop(iterations, seed: seed, SIMD16<Float>.self) : fmaLoop(iterations, seed: seed, SIMD8<Float>.self)
}

@inline(__always)
private func fmaLoop<Vector: SIMD>(_ iterations: Int, seed: Float, _: Vector.Type) -> Float
where Vector.Scalar == Float {
    var a = (0..<chains).map { Vector(repeating: seed + Float($0)) }
    let x = Vector(repeating: 0.999_999), y = Vector(repeating: 1e-7)
    a.withUnsafeMutableBufferPointer { acc in
        var (a0, a1, a2, a3, a4, a5) = (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5])
        var (a6, a7, a8, a9, a10, a11) = (acc[6], acc[7], acc[8], acc[9], acc[10], acc[11])
        for _ in 0..<iterations {
            a0 = a0.addingProduct(a0, x); a1 = a1.addingProduct(a1, x); a2 = a2.addingProduct(a2, x)
            a3 = a3.addingProduct(a3, x); a4 = a4.addingProduct(a4, x); a5 = a5.addingProduct(a5, x)
            a6 = a6.addingProduct(a6, y); a7 = a7.addingProduct(a7, y); a8 = a8.addingProduct(a8, y)
            a9 = a9.addingProduct(a9, y); a10 = a10.addingProduct(a10, y); a11 = a11.addingProduct(a11, y)
        }
        (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5]) = (a0, a1, a2, a3, a4, a5)
        (acc[6], acc[7], acc[8], acc[9], acc[10], acc[11]) = (a6, a7, a8, a9, a10, a11)
    }
    return a.reduce(0) { $0 + $1.sum() }  // used, so the loop is not removed
}

/// GFLOP/s of `threads` copies of the loop at once, the best of five slices of `seconds / 5`.
func fmaPeak(threads: Int, seconds: Double) -> Double {
    let flopsPerCall = Double(innerIterations * chains * lanes * 2)
    // Calls per slice from a one-call probe.
    let probeStart = DispatchTime.now().uptimeNanoseconds
    _ = fmaLoop(innerIterations, seed: 1)
    let probe = Double(DispatchTime.now().uptimeNanoseconds - probeStart) / 1e9
    let calls = max(1, Int(seconds / 5 / max(probe, 1e-6)))
    var best = 0.0
    var sink: Float = 0
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        Parallel.withThreadCount(threads) {
            Parallel.forEachChunk(threads, chunks: threads) { c, _ in
                var s: Float = 0
                for k in 0..<calls { s += fmaLoop(innerIterations, seed: Float(c + k)) }
                if s == .infinity { print("", terminator: "") }  // keeps `s` alive
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        best = max(best, flopsPerCall * Double(calls * threads) / elapsed / 1e9)
        sink += 1
    }
    return best
}
