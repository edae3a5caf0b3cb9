import CDeepGenVector

/// `dst[j][i] = src[i][j]` for `rows × columns` of `src` (rows `sourceStride` apart, by default
/// contiguous); `dst` rows are `ld ≥ rows` long and their padding is zeroed. By 16×16 register
/// transposes.
func transposeRows(_ src: UnsafePointer<Float>, rows: Int, columns: Int, sourceStride: Int? = nil,
                   into dst: UnsafeMutablePointer<Float>, ld: Int) {
    deepgen_transpose(src, sourceStride ?? columns, Int32(rows), Int32(columns), dst, ld)
    if ld > rows {
        for j in 0..<columns { (dst + j * ld + rows).update(repeating: 0, count: ld - rows) }
    }
}

/// `dst[j][i] = src[i][j]` for `src` rows `ld` long of which the first `columns` are read.
func transposeRows(_ src: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into dst: UnsafeMutablePointer<Float>) {
    deepgen_transpose(src, ld, Int32(rows), Int32(columns), dst, rows)
}
