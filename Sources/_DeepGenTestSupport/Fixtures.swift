import DeepGen
import Foundation

/// One case of a JSON fixture written by `Scripts/make_fixtures.py`.
public struct FixtureCase: Decodable {
    public struct Stored: Decodable { public var shape: [Int]; public var data: [Float] }
    public var name: String
    public var params: [String: FixtureValue]
    public var tensors: [String: Stored]

    /// The named tensor; stops the test with a message when missing.
    public func tensor(_ key: String) -> Tensor {
        guard let t = tensors[key] else { fatalError("fixture case \(name) has no tensor \(key)") }
        return Tensor(shape: t.shape, scalars: t.data)
    }

    /// Integer parameter pair such as `"stride": [2, 1]`.
    public func pair(_ key: String, default value: (Int, Int) = (0, 0)) -> (Int, Int) {
        guard case .ints(let v)? = params[key], v.count == 2 else { return value }
        return (v[0], v[1])
    }
}

/// A parameter value in a fixture: a number, a bool, a string or a list of integers.
public enum FixtureValue: Decodable {
    case number(Double), bool(Bool), string(String), ints([Int])
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .ints(try c.decode([Int].self)) }
    }
}

/// Loads the cases of a fixture file from a test bundle's resources.
public func loadFixture(_ file: String, bundle: Bundle) throws -> [FixtureCase] {
    struct FileContents: Decodable { var cases: [FixtureCase] }
    guard let url = bundle.url(forResource: file, withExtension: "json", subdirectory: "Fixtures") else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "fixture \(file).json not in bundle"])
    }
    return try JSONDecoder().decode(FileContents.self, from: Data(contentsOf: url)).cases
}
