import ArgumentParser
import DeepGenData
import DeepGenModels

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the models and datasets.")

    func run() throws {
        print("Models (deepgen train MODEL --help lists a model's options):")
        // Columns as wide as the longest name, so none is cut.
        let nameWidth = ModelFamilies.variants.map { $0.name.count }.max() ?? 0
        for m in ModelFamilies.variants { print("  \(m.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)) \(m.summary)") }
        print("\nDatasets (--data):")
        let usageWidth = DatasetRegistry.all.map { $0.usage.count }.max() ?? 0
        for source in DatasetRegistry.all {
            print("  \(source.usage.padding(toLength: usageWidth, withPad: " ", startingAt: 0)) \(source.summary)")
        }
    }
}
