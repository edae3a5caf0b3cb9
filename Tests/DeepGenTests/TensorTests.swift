import Testing
@testable import DeepGen
