import Testing
@testable import DeepGenKernels

@Test func placeholderBuilds() { #expect(Parallel.threadCount >= 1) }
