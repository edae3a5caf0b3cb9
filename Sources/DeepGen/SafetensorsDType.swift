/// The safetensors element types DeepGen reads, each converted to `Float` on load.
///
/// Floating types convert by rounding to nearest (F16 and BF16 exactly); a finite F64 beyond
/// `Float`'s range is refused rather than turned into infinity. Integer types convert exactly or
/// are refused: a value beyond ±2^24 would silently change (PyTorch's I64 `num_batches_tracked`
/// fits easily). BOOL must hold 0 or 1. Writing is always F32.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Converts `count` little-endian elements at `source` into `destination`; returns the first
    /// value that cannot be represented, as text, or `nil` on success.
    func convert(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) -> String? {
        let n = destination.count
        precondition(source.count == n * byteSize, "[SafetensorsDType.convert] byte count mismatch")
        func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            T(littleEndian: source.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
        }
        let exactLimit = 1 << 24
        switch self {
        case .f32:
            #if _endian(little)
            if n > 0 { UnsafeMutableRawPointer(destination.baseAddress!).copyMemory(from: source.baseAddress!, byteCount: n * 4) }
            #else
            for i in 0..<n { destination[i] = Float(bitPattern: load(i, UInt32.self)) }
            #endif
        case .f64:
            for i in 0..<n {
                let d = Double(bitPattern: load(i, UInt64.self))
                let f = Float(d)
                if f.isInfinite && d.isFinite { return String(d) }
                destination[i] = f
            }
        case .f16:
            for i in 0..<n { destination[i] = SafetensorsDType.halfToFloat(load(i, UInt16.self)) }
        case .bf16:
            for i in 0..<n { destination[i] = Float(bitPattern: UInt32(load(i, UInt16.self)) << 16) }
        case .i64:
            for i in 0..<n {
                let v = load(i, Int64.self)
                if v.magnitude > exactLimit { return String(v) }
                destination[i] = Float(v)
            }
        case .u64:
            for i in 0..<n {
                let v = load(i, UInt64.self)
                if v > exactLimit { return String(v) }
                destination[i] = Float(v)
            }
        case .i32:
            for i in 0..<n {
                let v = load(i, Int32.self)
                if v.magnitude > exactLimit { return String(v) }
                destination[i] = Float(v)
            }
        case .u32:
            for i in 0..<n {
                let v = load(i, UInt32.self)
                if v > exactLimit { return String(v) }
                destination[i] = Float(v)
            }
        case .i16: for i in 0..<n { destination[i] = Float(load(i, Int16.self)) }
        case .u16: for i in 0..<n { destination[i] = Float(load(i, UInt16.self)) }
        case .i8: for i in 0..<n { destination[i] = Float(load(i, Int8.self)) }
        case .u8: for i in 0..<n { destination[i] = Float(source[i]) }
        case .bool:
            for i in 0..<n {
                guard source[i] <= 1 else { return "byte \(source[i])" }
                destination[i] = Float(source[i])
            }
        }
        return nil
    }

    /// IEEE 754 binary16 to `Float`, exactly (written out because `Float16` is unavailable on
    /// some platforms).
    static func halfToFloat(_ h: UInt16) -> Float {
        let negative = h & 0x8000 != 0
        let exponent = Int((h >> 10) & 0x1F), mantissa = UInt32(h & 0x3FF)
        let magnitude: Float
        switch exponent {
        case 0: magnitude = Float(mantissa) * 0x1p-24
        case 31: magnitude = mantissa == 0 ? .infinity : .nan
        default: magnitude = Float(bitPattern: UInt32(exponent + 112) << 23 | mantissa << 13)
        }
        return negative ? -magnitude : magnitude
    }
}
