import Testing
@testable import DeepGenKernels

@Suite struct PartialVectorTests {
    /// Every length from none to a whole vector: the loaded lanes are the memory's and the rest
    /// zero; a store writes its lanes and nothing after them.
    @Test func loadsAndStoresTheFirstLanesOnly() {
        func check<V: SIMD>(_: V.Type) where V.Scalar == Float {
            let source = (0..<V.scalarCount).map { Float($0) + 0.5 }
            for n in 0...V.scalarCount {
                let v: V = source.withUnsafeBufferPointer { PartialVector.load($0.baseAddress!, n) }
                for k in 0..<V.scalarCount { #expect(v[k] == (k < n ? source[k] : 0), "lane \(k) of \(n) loaded (\(V.scalarCount) lanes)") }
                var memory = [Float](repeating: -7, count: V.scalarCount + 1)
                memory.withUnsafeMutableBufferPointer { PartialVector.store(v, $0.baseAddress!, n) }
                for k in 0...V.scalarCount { #expect(memory[k] == (k < n ? source[k] : -7), "float \(k) after storing \(n) lanes (\(V.scalarCount) lanes)") }
            }
        }
        check(SIMD16<Float>.self)
        check(SIMD8<Float>.self)
    }
}
