import DeepGenKernels

/// Element types a tensor can hold. Only `float32` exists today; the enum is the place where
/// half precision or integer tensors will be added.
public enum DType: String, Sendable { case float32 = "F32" }

/// An n-dimensional array of `Float` in contiguous row-major (NCHW for images) order, with value
/// semantics and optional reverse-mode gradient tracking.
///
/// Copies share storage until one of them is written to. A tensor that `requiresGrad` carries a
/// node of the autograd graph; operations on it record how to compute gradients.
public struct Tensor: @unchecked Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage
    /// The autograd node; `nil` when the tensor does not require gradients.
    var node: AutogradNode?

    /// The element type (always `.float32` for now).
    public var dtype: DType { .float32 }

    @usableFromInline init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
        self.node = nil
    }

    /// A tensor with uninitialized contents; for ops that overwrite every element.
    @usableFromInline init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: Tensor.elementCount(shape)))
    }

    /// A tensor of the given shape filled from `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        let n = Tensor.elementCount(shape)
        precondition(n == scalars.count,
                     "[Tensor.init] shape \(shape) needs \(n) scalars, got \(scalars.count)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) }
    }

    /// A 1-D tensor of `scalars`.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// A rank-0 tensor holding `value`.
    public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    /// A tensor of `shape` with every element `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitializedShape: shape)
        storage.pointer.update(repeating: value, count: count)
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, storage: TensorStorage(zeros: Tensor.elementCount(shape))) }

    /// A tensor of ones.
    public init(ones shape: [Int]) { self.init(repeating: 1, shape: shape) }

    /// Zeros with this tensor's shape.
    public func zerosLike() -> Tensor { Tensor(zeros: shape) }

    /// The number of elements.
    public var count: Int { storage.count == 0 ? 0 : Tensor.elementCount(shape) }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The only element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "[Tensor.scalar] tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Reads the elements in place.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Writes the elements in place (copying first if the storage is shared). Drops gradient
    /// tracking: an in-place write is not differentiable.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(uninitializedCount: storage.count)
            copy.pointer.update(from: storage.pointer, count: storage.count)
            storage = copy
        }
        node = nil
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Element access by a full multi-index.
    public subscript(index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set { let i = flatIndex(index); withUnsafeMutableBufferPointer { $0[i] = newValue } }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "[Tensor.subscript] \(index.count) indices for shape \(shape)")
        var flat = 0
        for (d, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[d], "[Tensor.subscript] index \(index) out of range for shape \(shape)")
            flat = flat * shape[d] + i
        }
        return flat
    }

    /// The product of `shape`'s sizes.
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for s in shape {
            precondition(s >= 0, "[Tensor] negative dimension in shape \(shape)")
            n *= s
        }
        return n
    }

    /// Normalizes a possibly negative axis for a tensor of `rank`, stopping with a message naming `op`.
    static func normalizeAxis(_ axis: Int, rank: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "[\(op)] axis \(axis) out of range for rank \(rank)")
        return a
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(16).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 16 ? ", …" : "")]\(requiresGrad ? ", requiresGrad" : ""))"
    }
}
