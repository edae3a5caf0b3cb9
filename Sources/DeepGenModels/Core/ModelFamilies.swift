import DeepGen
import Foundation

/// The model families DeepGen knows, by command-line name.
public enum ModelFamilies {
    /// The families DeepGen ships, in `deepgen list` order: the one list a new family joins.
    public static let builtIn: [any ModelFamily.Type] = [
        GANFamily.self, VAEFamily.self, CycleGANFamily.self, FlowFamily.self, ClassifierFamily.self, TextFamily.self, WaveNetFamily.self,
    ]

    nonisolated(unsafe) private static var registered: [any ModelFamily.Type] = []
    private static let lock = NSLock()

    /// Names no family may take: `deepgen train` subcommands of its own.
    public static let reservedNames: Set<String> = ["resume"]
    /// The most names one family may have (the command line has this many subcommand slots).
    public static let maxVariants = 8

    /// Adds a family defined outside this package (a plug-in, a test). Its names must be new.
    public static func register(_ family: any ModelFamily.Type) {
        lock.lock()
        defer { lock.unlock() }
        guard !registered.contains(where: { ObjectIdentifier($0) == ObjectIdentifier(family) }) else { return }
        let taken = Set((builtIn + registered).flatMap { f in f.variants.map { $0.name } }).union(reservedNames)
        let names = family.variants.map { $0.name }
        let clashes = names.filter(taken.contains)
        precondition(clashes.isEmpty, "[ModelFamilies.register] \(clashes) are names of other families or reserved")
        precondition((1...maxVariants).contains(names.count) && Set(names).count == names.count,
                     "[ModelFamilies.register] a family has 1 to \(maxVariants) distinct names, got \(names)")
        registered.append(family)
    }

    /// Every family, built-in first.
    public static var all: [any ModelFamily.Type] {
        lock.lock()
        defer { lock.unlock() }
        return builtIn + registered
    }

    /// The family a command-line model name belongs to.
    public static func family(named name: String) -> (any ModelFamily.Type)? {
        all.first { $0.hasVariant(name) }
    }

    /// Every command-line model name, in `deepgen list` order.
    public static var variants: [ModelVariant] { all.flatMap { $0.variants } }

    /// Fails with the known names when `name` is not one.
    public static func requireFamily(named name: String) throws -> any ModelFamily.Type {
        guard let family = family(named: name) else {
            throw ConfigurationError(message: "unknown model '\(name)'; the models are \(variants.map(\.name).joined(separator: ", "))")
        }
        return family
    }
}

/// Builds the model a configuration describes, with weights drawn from its seed.
public func makeModel(_ config: ModelConfig) throws -> any GenerativeModel {
    let family = try ModelFamilies.requireFamily(named: config.model)
    try config.validate()
    var rng = RandomGenerator(seed: config.training.seed)
    return try family.erasedMakeModel(config, using: &rng)
}
