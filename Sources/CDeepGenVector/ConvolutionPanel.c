#include "CDeepGenVector.h"

// The body, inlined with a constant width so each loop becomes fixed-length vector gathers.
static inline __attribute__((always_inline)) void pack_panel(
    const float *x, const int *restrict base, const int *restrict iy0, const int *restrict ix0,
    int row0, int rows, int kernel_h, int kernel_w, int dilation_h, int dilation_w,
    int plane, int height, int width, const int nr, float *restrict dst) {
    const int kk = kernel_h * kernel_w;
    int ci = row0 / kk, ky = (row0 % kk) / kernel_w, kx = row0 % kernel_w;
    for (int p = 0; p < rows; p++) {
        const int dy = ky * dilation_h, dx = kx * dilation_w;
        const float *channel = x + (long)ci * plane + (long)dy * width + dx;
        float *o = dst + p * nr;
        for (int j = 0; j < nr; j++) {
            const int iy = iy0[j] + dy, ix = ix0[j] + dx;
            const int inside = (unsigned)iy < (unsigned)height && (unsigned)ix < (unsigned)width;
            o[j] = inside ? channel[base[j]] : 0.0f;
        }
        if (++kx == kernel_w) {
            kx = 0;
            if (++ky == kernel_h) { ky = 0; ci++; }
        }
    }
}

void deepgen_pack_convolution_panel(
    const float *x, const int *restrict base, const int *restrict iy0, const int *restrict ix0,
    int row0, int rows, int kernel_h, int kernel_w, int dilation_h, int dilation_w,
    int plane, int height, int width, int nr, float *restrict dst) {
    if (nr == 32) {
        pack_panel(x, base, iy0, ix0, row0, rows, kernel_h, kernel_w, dilation_h, dilation_w, plane, height, width, 32, dst);
    } else if (nr == 16) {
        pack_panel(x, base, iy0, ix0, row0, rows, kernel_h, kernel_w, dilation_h, dilation_w, plane, height, width, 16, dst);
    } else {
        pack_panel(x, base, iy0, ix0, row0, rows, kernel_h, kernel_w, dilation_h, dilation_w, plane, height, width, nr, dst);
    }
}
