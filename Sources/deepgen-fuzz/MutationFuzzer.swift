import DeepGen

/// A deterministic fuzzer for builds without libFuzzer: mutates seed files by byte flips,
/// overwrites, truncations, insertions and deletions, drawing from a seeded generator.
struct MutationFuzzer {
    var target: FuzzTarget
    var seeds: [[UInt8]]
    var rng: RandomGenerator

    mutating func run(iterations: Int) {
        precondition(!seeds.isEmpty, "[MutationFuzzer] no seed inputs")
        for i in 0..<iterations {
            var input = seeds[i % seeds.count]
            let edits = 1 + rng.nextInt(below: 4)
            for _ in 0..<edits { mutate(&input) }
            target.run(input)
        }
    }

    private mutating func mutate(_ input: inout [UInt8]) {
        let n = input.count
        switch rng.nextInt(below: 6) {
        case 0 where n > 0:
            input[rng.nextInt(below: n)] ^= UInt8(1 << rng.nextInt(below: 8))
        case 1 where n > 0:
            // Header bytes matter most: bias overwrites toward the first 64.
            let i = rng.nextInt(below: 2) == 0 ? rng.nextInt(below: min(n, 64)) : rng.nextInt(below: n)
            input[i] = [0, 0xFF, 0x7F, 0x80, 1, UInt8(truncatingIfNeeded: rng.next())][rng.nextInt(below: 6)]
        case 2:
            input.removeLast(n == 0 ? 0 : rng.nextInt(below: n + 1))
        case 3:
            let at = rng.nextInt(below: n + 1)
            input.insert(contentsOf: (0..<(1 + rng.nextInt(below: 8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 4 where n > 1:
            let at = rng.nextInt(below: n - 1)
            input.removeSubrange(at ..< min(n, at + 1 + rng.nextInt(below: 16)))
        default:
            if n > 8 {
                // Copy a chunk over another place, as chunk-structured formats invite.
                let from = rng.nextInt(below: n - 4), to = rng.nextInt(below: n - 4), len = min(4, n - max(from, to))
                for k in 0..<len { input[to + k] = input[from + k] }
            }
        }
    }
}
