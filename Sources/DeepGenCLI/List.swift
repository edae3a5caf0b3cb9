import ArgumentParser
import DeepGenData
import DeepGenModels

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the models and datasets.")

    func run() throws {
        print("Models (deepgen train MODEL --help lists a model's options):")
        for m in ModelFamilies.variants { print("  \(m.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(m.summary)") }
        print("\nDatasets (--data):")
        for source in DatasetRegistry.all {
            print("  \(source.usage.padding(toLength: 34, withPad: " ", startingAt: 0)) \(source.summary)")
        }
    }
}
