// deepgen-fuzz <idx|png|jpeg|npy|safetensors|checkpoint> [libFuzzer options] [corpus folders...]
//   Built by Scripts/fuzz.sh with coverage and -DDEEPGEN_LIBFUZZER, it hands control to libFuzzer.
//   Built plainly, it runs a deterministic mutation loop over the files in the corpus folders
//   (`-runs=N` iterations, default 20000).
import DeepGen
import DeepGenData
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write("usage: deepgen-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> [options] [corpus...]\n".data(using: .utf8)!)
    exit(2)
}
let rest = Array(arguments.dropFirst(2))

#if DEEPGEN_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var activeTarget = target
// libFuzzer parses its own argv; drop the target name so it sees only its options and folders.
var cStrings = ([arguments[0]] + rest).map { strdup($0) } + [nil]
var argc = CInt(rest.count + 1)
let status = cStrings.withUnsafeMutableBufferPointer { buffer -> CInt in
    var argv = buffer.baseAddress!
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        activeTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
exit(status)
#else
var iterations = 20_000
var seeds = [[UInt8]]()
for argument in rest {
    if argument.hasPrefix("-runs="), let n = Int(argument.dropFirst(6)) { iterations = n; continue }
    if argument.hasPrefix("-") { continue }
    let folder = URL(fileURLWithPath: argument)
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? [] {
        if let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) { seeds.append([UInt8](data)) }
    }
}
if seeds.isEmpty { seeds = [[]] }
var fuzzer = MutationFuzzer(target: target, seeds: seeds, rng: RandomGenerator(seed: 0xF022))
fuzzer.run(iterations: iterations)
print("deepgen-fuzz \(target.rawValue): \(iterations) mutated inputs from \(seeds.count) seeds, no crash")
#endif
