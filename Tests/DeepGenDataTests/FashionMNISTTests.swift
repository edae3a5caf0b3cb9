import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct FashionMNISTTests {
    @Test func classNamesResolve() throws {
        #expect(try FashionMNIST.classIndex(named: "sneaker") == 7)
        #expect(try FashionMNIST.classIndex(named: "ankle-boot") == 9)
        #expect(try FashionMNIST.classIndex(named: "Ankle boot") == 9)
        #expect(try FashionMNIST.classIndex(named: "t-shirt") == 0)
        #expect(try FashionMNIST.classIndex(named: "T-shirt/top") == 0)
        #expect(try FashionMNIST.classIndex(named: "bag") == 8)
        #expect(try FashionMNIST.classIndex(named: "3") == 3)
        let error = expectDataError { _ = try FashionMNIST.classIndex(named: "hat") }
        #expect(error?.description.contains("Ankle boot") == true)
        let spec = try DatasetSpec(parsing: "fashion-mnist:sneaker,ankle-boot")
        #expect(spec.name == "fashion-mnist" && spec.classes == ["sneaker", "ankle-boot"])
        #expect(throws: DataError.self) { _ = try DatasetSpec(parsing: "fashion-mnist:") }
    }

    /// Needs `apt-get install dataset-fashion-mnist` (CI installs it). Statistics from numpy:
    /// the test split's pixel sum is 573,469,082 and its first labels are 9 2 1 1 6.
    @Test func loadsTheInstalledTestSplit() throws {
        let folder = try FashionMNIST.locate()
        let test = try FashionMNIST.load(split: .test, directory: folder, range: .zeroToOne)
        #expect(test.count == 10_000)
        #expect(test.sampleShape == [1, 28, 28])
        #expect((0..<5).map { test.label(at: $0) } == [9, 2, 1, 1, 6])
        var sum = 0
        var counts = [Int](repeating: 0, count: 10)
        for i in 0..<test.count {
            let s = try test.sample(at: i)
            counts[s.label] += 1
            for v in s.values { sum += Int((v * 255).rounded()) }
        }
        #expect(counts == [Int](repeating: 1000, count: 10))
        #expect(sum == 573_469_082)
        let sneakers = try DatasetSpec(parsing: "fashion-mnist:sneaker").loadIDX(split: .test)
        #expect(sneakers.count == 1000)
        #expect((0..<sneakers.count).allSatisfy { sneakers.label(at: $0) == 7 })
        let pairs = try UnpairedDataset(idx: test, classA: 7, classB: 9)
        #expect(pairs.count == 1000 && pairs.sampleShape == [2, 1, 28, 28])
        let pair = try pairs.sample(at: 3)
        #expect(pair.label == 7 && pair.secondLabel == 9)
    }
}
