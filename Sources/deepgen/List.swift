import ArgumentParser
import DeepGenModels
import DeepGenTraining

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the models and datasets.")

    func run() throws {
        print("Models:")
        for m in ModelKind.allCases { print("  \(m.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(m.summary)") }
        print("\nDatasets (--data):")
        for (name, text) in DatasetCatalog.entries { print("  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(text)") }
    }
}
