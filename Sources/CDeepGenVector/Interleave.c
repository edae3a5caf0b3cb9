#include "CDeepGenVector.h"
#ifdef __AVX512F__
#include <immintrin.h>

// Loops over a register array run to a constant bound (the tail tested inside), fully
// unrolled: an index known only at run time would keep the array on the stack.
#define UNROLLED _Pragma("clang loop unroll(full)")

/// Transposes the 16×16 matrix whose rows are r[0..15], in place (unpack, then 128-bit lane shuffles).
static inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16], v[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 16; i += 8) {
        for (int j = 0; j < 4; j++) {
            v[i + j] = _mm512_shuffle_f32x4(u[i + j], u[i + 4 + j], 0x88);
            v[i + 4 + j] = _mm512_shuffle_f32x4(u[i + j], u[i + 4 + j], 0xDD);
        }
    }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_f32x4(v[j], v[8 + j], 0x88);
        r[8 + j] = _mm512_shuffle_f32x4(v[j], v[8 + j], 0xDD);
    }
}
#endif

#if !defined(__AVX512F__) && defined(__AVX__)
#include <immintrin.h>

/// Writes the transpose of the 8×8 block at `src` (row stride `ss`) to `dst` (row stride `ds`):
/// the AVX2 machines' path (unpack, shuffle, then 128-bit lane permutes), where the scalar
/// fallback's strided stores cost 8% of a DCGAN step.
static inline void transpose8x8(const float *src, long ss, float *dst, long ds) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ss);
    __m256 r2 = _mm256_loadu_ps(src + 2 * ss), r3 = _mm256_loadu_ps(src + 3 * ss);
    __m256 r4 = _mm256_loadu_ps(src + 4 * ss), r5 = _mm256_loadu_ps(src + 5 * ss);
    __m256 r6 = _mm256_loadu_ps(src + 6 * ss), r7 = _mm256_loadu_ps(src + 7 * ss);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

void deepgen_interleave16(const float *src, long stride, int lanes, int count, float *dst) {
#ifdef __AVX512F__
    for (int i0 = 0; i0 < count; i0 += 16) {
        const int n = count - i0 < 16 ? count - i0 : 16;
        const __mmask16 mask = (__mmask16)((1u << n) - 1u);
        __m512 r[16];
        for (int l = 0; l < 16; l++) {
            r[l] = l < lanes ? _mm512_maskz_loadu_ps(mask, src + l * stride + i0) : _mm512_setzero_ps();
        }
        transpose16(r);
        UNROLLED for (int i = 0; i < 16; i++) if (i < n) _mm512_storeu_ps(dst + (long)(i0 + i) * 16, r[i]);
    }
#else
    int i0 = 0;
#ifdef __AVX__
    // Whole 8×8 blocks: lanes 0–7 and 8–15 of eight consecutive positions.
    for (; i0 + 8 <= count; i0 += 8) {
        for (int l0 = 0; l0 < 16; l0 += 8) {
            if (l0 + 8 <= lanes) {
                transpose8x8(src + l0 * stride + i0, stride, dst + (long)i0 * 16 + l0, 16);
            } else {
                for (int i = i0; i < i0 + 8; i++) {
                    for (int l = l0; l < l0 + 8; l++) dst[(long)i * 16 + l] = l < lanes ? src[l * stride + i] : 0.0f;
                }
            }
        }
    }
#endif
    for (int i = i0; i < count; i++) {
        for (int l = 0; l < 16; l++) dst[(long)i * 16 + l] = l < lanes ? src[l * stride + i] : 0.0f;
    }
#endif
}

void deepgen_deinterleave16(const float *src, int count, int lanes, float *dst, long stride) {
#ifdef __AVX512F__
    for (int i0 = 0; i0 < count; i0 += 16) {
        const int n = count - i0 < 16 ? count - i0 : 16;
        const __mmask16 mask = (__mmask16)((1u << n) - 1u);
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = i < n ? _mm512_loadu_ps(src + (long)(i0 + i) * 16) : _mm512_setzero_ps();
        transpose16(r);
        UNROLLED for (int l = 0; l < 16; l++) if (l < lanes) _mm512_mask_storeu_ps(dst + l * stride + i0, mask, r[l]);
    }
#else
    int i0 = 0;
#ifdef __AVX__
    for (; i0 + 8 <= count; i0 += 8) {
        for (int l0 = 0; l0 < lanes; l0 += 8) {
            if (l0 + 8 <= lanes) {
                transpose8x8(src + (long)i0 * 16 + l0, 16, dst + l0 * stride + i0, stride);
            } else {
                for (int l = l0; l < lanes; l++) {
                    for (int i = i0; i < i0 + 8; i++) dst[l * stride + i] = src[(long)i * 16 + l];
                }
            }
        }
    }
#endif
    for (int l = 0; l < lanes; l++) {
        for (int i = i0; i < count; i++) dst[l * stride + i] = src[(long)i * 16 + l];
    }
#endif
}

// Pixel phases: phase channel 4c + 2fy + fx is pixel (2y + fy, 2x + fx) of channel c, so the pair
// (fx = 0, 1) of a phase vector is two adjacent floats of one source row: the interleave is an
// 8×8 transpose of 64-bit pairs, double-lane 2c + fy reading source row 2y + fy of channel c.

#ifdef __AVX512F__
/// Transposes the 8×8 matrix of doubles whose rows are r[0..7], in place.
static inline void transpose8(__m512d r[8]) {
    __m512d t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0x88);
        u[i + 1] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0x88);
        u[i + 2] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0xDD);
        u[i + 3] = _mm512_shuffle_f64x2(t[i + 1], t[i + 3], 0xDD);
    }
    for (int j = 0; j < 4; j++) {
        r[j] = _mm512_shuffle_f64x2(u[j], u[4 + j], 0x88);
        r[4 + j] = _mm512_shuffle_f64x2(u[j], u[4 + j], 0xDD);
    }
}
#endif

void deepgen_interleave16_phases(const float *src, int lanes, int h, int w, float *dst, long dst_row) {
    const int pairs = lanes / 2;  // double-lanes 2c + fy in use
    const long plane = 4L * h * w, row = 2L * w;
#ifdef __AVX512F__
    for (int y = 0; y < h; y++) {
        const double *rows[8];
        for (int l = 0; l < pairs; l++) rows[l] = (const double *)(src + (l >> 1) * plane + (2 * y + (l & 1)) * row);
        for (int x0 = 0; x0 < w; x0 += 8) {
            const int n = w - x0 < 8 ? w - x0 : 8;
            const __mmask8 mask = (__mmask8)((1u << n) - 1u);
            __m512d r[8];
            for (int l = 0; l < 8; l++) r[l] = l < pairs ? _mm512_maskz_loadu_pd(mask, rows[l] + x0) : _mm512_setzero_pd();
            transpose8(r);
            UNROLLED for (int j = 0; j < 8; j++) if (j < n) _mm512_storeu_pd((double *)(dst + (y * dst_row + x0 + j) * 16), r[j]);
        }
    }
#else
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            float *out = dst + (y * dst_row + x) * 16;
            for (int l = 0; l < 16; l++) {
                const int c = l >> 2, fy = (l >> 1) & 1, fx = l & 1;
                out[l] = l < lanes ? src[c * plane + (2 * y + fy) * row + 2 * x + fx] : 0.0f;
            }
        }
    }
#endif
}

void deepgen_deinterleave16_phases(const float *src, long src_row, int h, int w, int lanes, float *dst) {
    const int pairs = lanes / 2;
    const long plane = 4L * h * w, row = 2L * w;
#ifdef __AVX512F__
    for (int y = 0; y < h; y++) {
        double *rows[8];
        for (int l = 0; l < pairs; l++) rows[l] = (double *)(dst + (l >> 1) * plane + (2 * y + (l & 1)) * row);
        for (int x0 = 0; x0 < w; x0 += 8) {
            const int n = w - x0 < 8 ? w - x0 : 8;
            const __mmask8 mask = (__mmask8)((1u << n) - 1u);
            __m512d r[8];
            for (int j = 0; j < 8; j++) r[j] = j < n ? _mm512_loadu_pd((const double *)(src + (y * src_row + x0 + j) * 16)) : _mm512_setzero_pd();
            transpose8(r);
            UNROLLED for (int l = 0; l < 8; l++) if (l < pairs) _mm512_mask_storeu_pd(rows[l] + x0, mask, r[l]);
        }
    }
#else
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const float *in = src + (y * src_row + x) * 16;
            for (int l = 0; l < lanes; l++) {
                const int c = l >> 2, fy = (l >> 1) & 1, fx = l & 1;
                dst[c * plane + (2 * y + fy) * row + 2 * x + fx] = in[l];
            }
        }
    }
#endif
}

// Shifted phases: double-lane 2c + fy of plane row i reads source row 2i − fy, and the pair
// (fx = 0, 1) of plane column j is source floats (2j, 2j − 1): the floats 2j − 1, 2j swapped.
// So a row of 8 plane columns is 16 source floats from 2·j0 − 1, pairs swapped, then the same
// 8×8 transpose of pairs as above.

#ifdef __AVX512F__
/// Source floats `2·j0 − 1 + t` (t < 16) that lie in a row of `2w`.
static inline __mmask16 shifted_mask(int j0, int w) {
    const int lo = j0 == 0 ? 1 : 0, f = 2 * w - 2 * j0 + 1, hi = f < 16 ? f : 16;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/// Offset of the source row double-lane `l` reads for plane row `i`, or −1 where it has none
/// (a lane not in use, or a row outside the source).
static inline long shifted_row(int l, int i, int pairs, int h, long plane, long row) {
    const int r = 2 * i - (l & 1);
    return l < pairs && r >= 0 && r < 2 * h ? (l >> 1) * plane + r * row : -1;
}
#endif

void deepgen_interleave16_shifted_phases(const float *src, int lanes, int h, int w, float *dst, long dst_row) {
    const int pairs = lanes / 2;
    const long plane = 4L * h * w, row = 2L * w;
#ifdef __AVX512F__
    for (int i = 0; i <= h; i++) {
        long rows[8];
        for (int l = 0; l < 8; l++) rows[l] = shifted_row(l, i, pairs, h, plane, row);
        for (int j0 = 0; j0 <= w; j0 += 8) {
            const int n = w + 1 - j0 < 8 ? w + 1 - j0 : 8;
            const __mmask16 mask = shifted_mask(j0, w);
            __m512d r[8];
            UNROLLED for (int l = 0; l < 8; l++) {
                // The masked load starts one float early; the mask keeps it inside the row.
                const __m512 v = rows[l] >= 0 ? _mm512_maskz_loadu_ps(mask, src + rows[l] + 2 * j0 - 1) : _mm512_setzero_ps();
                r[l] = _mm512_castps_pd(_mm512_permute_ps(v, 0xB1));
            }
            transpose8(r);
            UNROLLED for (int j = 0; j < 8; j++) if (j < n) _mm512_storeu_pd((double *)(dst + (i * dst_row + j0 + j) * 16), r[j]);
        }
    }
#else
    for (int i = 0; i <= h; i++) {
        for (int j = 0; j <= w; j++) {
            float *out = dst + (i * dst_row + j) * 16;
            for (int l = 0; l < 16; l++) {
                const int c = l >> 2, fy = (l >> 1) & 1, fx = l & 1, r = 2 * i - fy, col = 2 * j - fx;
                const int inside = l < lanes && r >= 0 && r < 2 * h && col >= 0 && col < 2 * w;
                out[l] = inside ? src[c * plane + r * row + col] : 0.0f;
            }
        }
    }
#endif
}

void deepgen_deinterleave16_shifted_phases(const float *src, long src_row, int h, int w, int lanes, float *dst) {
    const int pairs = lanes / 2;
    const long plane = 4L * h * w, row = 2L * w;
#ifdef __AVX512F__
    for (int i = 0; i <= h; i++) {
        long rows[8];
        for (int l = 0; l < 8; l++) rows[l] = shifted_row(l, i, pairs, h, plane, row);
        for (int j0 = 0; j0 <= w; j0 += 8) {
            const int n = w + 1 - j0 < 8 ? w + 1 - j0 : 8;
            const __mmask16 mask = shifted_mask(j0, w);
            __m512d r[8];
            UNROLLED for (int j = 0; j < 8; j++) r[j] = j < n ? _mm512_loadu_pd((const double *)(src + (i * src_row + j0 + j) * 16)) : _mm512_setzero_pd();
            transpose8(r);
            UNROLLED for (int l = 0; l < 8; l++) {
                if (rows[l] >= 0) _mm512_mask_storeu_ps(dst + rows[l] + 2 * j0 - 1, mask, _mm512_permute_ps(_mm512_castpd_ps(r[l]), 0xB1));
            }
        }
    }
#else
    for (int i = 0; i <= h; i++) {
        for (int j = 0; j <= w; j++) {
            const float *in = src + (i * src_row + j) * 16;
            for (int l = 0; l < lanes; l++) {
                const int c = l >> 2, fy = (l >> 1) & 1, fx = l & 1, r = 2 * i - fy, col = 2 * j - fx;
                if (r >= 0 && r < 2 * h && col >= 0 && col < 2 * w) dst[c * plane + r * row + col] = in[l];
            }
        }
    }
#endif
}

void deepgen_transpose(const float *src, long src_stride, int rows, int columns, float *dst, long dst_stride) {
#ifdef __AVX512F__
    for (int i0 = 0; i0 < rows; i0 += 16) {
        const int ni = rows - i0 < 16 ? rows - i0 : 16;
        const __mmask16 store_mask = (__mmask16)((1u << ni) - 1u);
        for (int j0 = 0; j0 < columns; j0 += 16) {
            const int nj = columns - j0 < 16 ? columns - j0 : 16;
            const __mmask16 load_mask = (__mmask16)((1u << nj) - 1u);
            __m512 r[16];
            for (int i = 0; i < 16; i++) {
                r[i] = i < ni ? _mm512_maskz_loadu_ps(load_mask, src + (long)(i0 + i) * src_stride + j0) : _mm512_setzero_ps();
            }
            transpose16(r);
            UNROLLED for (int j = 0; j < 16; j++) {
                if (j >= nj) break;
                float *d = dst + (long)(j0 + j) * dst_stride + i0;
                if (ni == 16) _mm512_storeu_ps(d, r[j]); else _mm512_mask_storeu_ps(d, store_mask, r[j]);
            }
        }
    }
#else
    int i0 = 0;
#ifdef __AVX__
    for (; i0 + 8 <= rows; i0 += 8) {
        int j0 = 0;
        for (; j0 + 8 <= columns; j0 += 8) {
            transpose8x8(src + (long)i0 * src_stride + j0, src_stride, dst + (long)j0 * dst_stride + i0, dst_stride);
        }
        for (int i = i0; i < i0 + 8; i++) {
            for (int j = j0; j < columns; j++) dst[(long)j * dst_stride + i] = src[(long)i * src_stride + j];
        }
    }
#endif
    for (int i = i0; i < rows; i++) {
        for (int j = 0; j < columns; j++) dst[(long)j * dst_stride + i] = src[(long)i * src_stride + j];
    }
#endif
}
