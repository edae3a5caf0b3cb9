import CDeepGenVector

/// The vector registers of the CPU the build targets (`-march`): 32 with AVX-512, else 16. Kernels
/// with register tiles size them by it (a tile sized for 32 registers spills on 16); it is a
/// compile-time constant, so the branches on it fold away.
@inline(__always) public var vectorRegisterCount: Int { Int(DEEPGEN_VECTOR_REGISTERS) }
