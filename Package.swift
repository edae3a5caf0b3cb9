// swift-tools-version:6.0
import PackageDescription
import Foundation

// Kernels need FMA/AVX code generation: without it every SIMD `addingProduct` lane becomes a
// libm `fmaf` call (~100x slower). Set DEEPGEN_PORTABLE=1 to build for a generic x86-64/arm64 CPU
// instead (for binaries that must run on other machines).
let portable = ProcessInfo.processInfo.environment["DEEPGEN_PORTABLE"] != nil
let nativeFlags: [SwiftSetting] = portable ? [] : [.unsafeFlags(["-Xcc", "-march=native"])]
let optimized: [SwiftSetting] = nativeFlags
// The kernels are optimized in debug builds too: unoptimized, the SIMD loops run ~10-30x slower
// and were three quarters of the test suite's time. Their checks use `require`, whose messages
// survive -O. Other modules stay -Onone in debug (their exit tests read precondition messages).
let kernelFlags: [SwiftSetting] = nativeFlags + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "DeepGen",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DeepGen", targets: ["DeepGen"]),
        .library(name: "DeepGenKernels", targets: ["DeepGenKernels"]),
        .library(name: "DeepGenNN", targets: ["DeepGenNN"]),
        .library(name: "DeepGenModels", targets: ["DeepGenModels"]),
        .library(name: "DeepGenData", targets: ["DeepGenData"]),
        .library(name: "DeepGenOptimizers", targets: ["DeepGenOptimizers"]),
        .library(name: "DeepGenMetrics", targets: ["DeepGenMetrics"]),
        .executable(name: "deepgen", targets: ["deepgen"]),
        .executable(name: "deepgen-bench", targets: ["deepgen-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Vector square roots: clang vectorizes sqrtf loops (-fno-math-errno keeps them free of
        // errno checks), which Swift's SIMD squareRoot() does not.
        .target(name: "CDeepGenVector",
                cSettings: [.unsafeFlags(portable ? ["-O3", "-fno-math-errno"] : ["-O3", "-fno-math-errno", "-march=native"])]),
        .target(name: "DeepGenKernels", dependencies: ["CDeepGenVector"], swiftSettings: kernelFlags),
        .target(name: "DeepGen", dependencies: ["DeepGenKernels"], swiftSettings: optimized),
        .target(name: "DeepGenNN", dependencies: ["DeepGen"], swiftSettings: optimized),
        // Families declare their command-line options as swift-argument-parser option groups, so a
        // family stays one folder; parsing happens in DeepGenCLI.
        .target(name: "DeepGenModels",
                dependencies: ["DeepGen", "DeepGenKernels", "DeepGenNN", "DeepGenOptimizers", "DeepGenData", "DeepGenMetrics",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: optimized),
        // The metrics are math on samples and features.
        .target(name: "DeepGenMetrics", dependencies: ["DeepGen"], swiftSettings: optimized),
        // Resources: the bundled feature-extractor classifiers (see Resources/README.md).
        .target(name: "DeepGenTraining", dependencies: ["DeepGen", "DeepGenNN", "DeepGenModels", "DeepGenData", "DeepGenOptimizers", "DeepGenMetrics",
                                                       "CDeepGenMPI"],
                resources: [.copy("Resources")]),
        // Open MPI for data-parallel training under `mpirun`, loaded at run time (DeepGen builds and runs without it).
        .target(name: "CDeepGenMPI", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // The `deepgen` commands, as a library so tests can run them in-process (with a family of their own).
        .target(
            name: "DeepGenCLI",
            dependencies: [
                "DeepGen", "DeepGenKernels", "DeepGenData", "DeepGenModels", "DeepGenOptimizers", "DeepGenTraining", "DeepGenMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(name: "_DeepGenTestSupport", dependencies: ["DeepGen"]),
        .target(name: "DeepGenOptimizers", dependencies: ["DeepGen", "DeepGenKernels"], swiftSettings: optimized),
        .executableTarget(name: "deepgen", dependencies: ["DeepGenCLI"]),
        .executableTarget(
            name: "deepgen-bench",
            dependencies: [
                "DeepGen", "DeepGenKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimized),
        .testTarget(name: "DeepGenKernelsTests", dependencies: ["DeepGenKernels"]),
        // Codecs come from the system's zlib, libpng and libjpeg-turbo; CDeepGenCodecs wraps the
        // setjmp/longjmp error handling of libpng and libjpeg, which Swift cannot call safely.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CLibJPEG", path: "Sources/CLibJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(
            name: "CDeepGenCodecs",
            dependencies: ["CLibPNG", "CLibJPEG"],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        // Audio files and resampling come from libsndfile and libsamplerate, loaded with dlopen on
        // first use: DeepGen builds and runs without them, and only audio datasets need them
        // (Debian: libsndfile1, libsamplerate0). Where their -dev headers are installed, the build
        // checks our declarations against them.
        .target(name: "CDeepGenAudio", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "DeepGenData", dependencies: ["DeepGen", "CZlib", "CDeepGenCodecs", "CDeepGenAudio"], swiftSettings: optimized),
        // Fuzzes the IDX, PNG, JPEG, .npy and safetensors readers and checkpoint restoring: libFuzzer when Scripts/fuzz.sh builds it
        // with coverage, otherwise a deterministic mutation loop.
        .executableTarget(name: "deepgen-fuzz", dependencies: ["DeepGen", "DeepGenData", "DeepGenModels"]),
        .testTarget(
            name: "DeepGenDataTests",
            dependencies: ["DeepGenData", "DeepGen"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DeepGenTests",
            dependencies: ["DeepGen", "DeepGenKernels", "_DeepGenTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "DeepGenNNTests", dependencies: ["DeepGenNN", "_DeepGenTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DeepGenModelsTests",
            dependencies: ["DeepGenModels", "DeepGenData", "DeepGenMetrics", "_DeepGenTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DeepGenTrainingTests",
            dependencies: ["DeepGenTraining", "DeepGenCLI", "DeepGenModels", "DeepGenData", "DeepGenMetrics", "DeepGenOptimizers", "_DeepGenTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "deepgenCLITests", dependencies: ["deepgen", "DeepGen"]),
        .testTarget(
            name: "DeepGenMetricsTests",
            dependencies: ["DeepGenMetrics", "DeepGenData", "DeepGen", "_DeepGenTestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DeepGenOptimizersTests",
            dependencies: ["DeepGenOptimizers", "DeepGen", "_DeepGenTestSupport"],
            resources: [.copy("Fixtures")]),
    ],
    // Kernels capture raw buffers in concurrentPerform closures; Swift 6's strict Sendable checking
    // would force wrappers around every pointer without making them safer.
    swiftLanguageModes: [.v5]
)
