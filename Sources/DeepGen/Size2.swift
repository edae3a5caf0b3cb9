/// A pair of sizes for the two spatial axes (height, width) of a 2-D op: write `2` for both or
/// `[2, 1]` for different ones, as PyTorch accepts an int or a tuple.
public struct Size2: Equatable, Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
                     CustomStringConvertible {
    public var h: Int
    public var w: Int

    public init(_ h: Int, _ w: Int) { self.h = h; self.w = w }
    public init(integerLiteral value: Int) { self.init(value, value) }
    public init(arrayLiteral elements: Int...) {
        precondition(elements.count == 2, "[Size2] needs exactly two sizes, got \(elements)")
        self.init(elements[0], elements[1])
    }

    public var description: String { h == w ? "\(h)" : "(\(h), \(w))" }
}
