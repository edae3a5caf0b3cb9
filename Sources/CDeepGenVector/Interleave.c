#include "CDeepGenVector.h"
#ifdef __AVX512F__
#include <immintrin.h>

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
        for (int i = 0; i < n; i++) _mm512_storeu_ps(dst + (long)(i0 + i) * 16, r[i]);
    }
#else
    for (int i = 0; i < count; i++) {
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
        for (int l = 0; l < lanes; l++) _mm512_mask_storeu_ps(dst + l * stride + i0, mask, r[l]);
    }
#else
    for (int l = 0; l < lanes; l++) {
        for (int i = 0; i < count; i++) dst[l * stride + i] = src[(long)i * 16 + l];
    }
#endif
}
