#ifndef CDEEPGEN_VECTOR_H
#define CDEEPGEN_VECTOR_H

#include <stddef.h>

/// The vector registers of the CPU the build targets: 32 with AVX-512, else 16 (AVX2, SSE and
/// other targets this fallback covers). Swift cannot test target features itself, so its kernels
/// size their register tiles by this constant, which the compiler folds.
#if defined(__AVX512F__)
#define DEEPGEN_VECTOR_REGISTERS 32
#else
#define DEEPGEN_VECTOR_REGISTERS 16
#endif

/// Packs rows `row0 .. row0+rows-1` of a convolution's column matrix for `nr` output pixels
/// into `dst[p*nr + j]` (an implicit-GEMM B micro-panel, `nr` the GEMM's register-tile width).
/// Row `(ci, ky, kx)` of pixel `j` is
/// `x[ci*plane + base[j] + ky*dh*width + kx*dw]` when `iy0[j] + ky*dh` lies in `[0, height)` and
/// `ix0[j] + kx*dw` in `[0, width)`, else 0 (padding; give absent pixels an `iy0` far outside).
/// Written in C so the compiler turns the wide loop into masked vector gathers.
void deepgen_pack_convolution_panel(
    const float *x, const int *base, const int *iy0, const int *ix0,
    int row0, int rows, int kernel_h, int kernel_w, int dilation_h, int dilation_w,
    int plane, int height, int width, int nr, float *dst);

/// Interleaves `lanes` (≤ 16) rows of `count` floats, row `l` at `src + l*stride`, into `count`
/// 16-float vectors: `dst[i*16 + l] = src[l*stride + i]`, lanes `lanes..<16` set to 0.
/// (Winograd's channel-per-lane planes: 16×16 in-register transposes.)
void deepgen_interleave16(const float *src, long stride, int lanes, int count, float *dst);

/// The inverse: `dst[l*stride + i] = src[i*16 + l]` for `l < lanes`, `i < count`.
void deepgen_deinterleave16(const float *src, int count, int lanes, float *dst, long stride);

/// `dst[j·dst_stride + i] = src[i·src_stride + j]` for `i < rows`, `j < columns` (16×16 register
/// transposes with AVX-512, 8×8 with AVX; only those elements are written).
void deepgen_transpose(const float *src, long src_stride, int rows, int columns, float *dst, long dst_stride);

/// `deepgen_interleave16` of pixel phases: `lanes` (a multiple of 4, ≤ 16) phase channels
/// `l = 4c + 2fy + fx` of the `lanes/4` channels at `src` (planes of `2h × 2w`), pixel `(y, x)`
/// of phase `l` being `src[c·4hw + (2y + fy)·2w + 2x + fx]`, into `h` rows of `w` vectors at
/// `dst` (`dst_row` vectors apart): `dst[(y·dst_row + x)·16 + l]`, lanes `lanes..<16` zero.
/// (Stride-2 convolutions run as stride-1 ones over the phases without a phase copy.)
void deepgen_interleave16_phases(const float *src, int lanes, int h, int w, float *dst, long dst_row);

/// The inverse: writes lanes `< lanes` of the `h × w` vectors at `src` (`src_row` vectors
/// apart) to their pixels of the `lanes/4` channels at `dst`.
void deepgen_deinterleave16_phases(const float *src, long src_row, int h, int w, int lanes, float *dst);

/// Shifted pixel phases: like `deepgen_interleave16_phases`, but plane pixel `(i, j)` of phase
/// channel `l = 4c + 2fy + fx` is source pixel `(2i − fy, 2j − fx)` (zero outside the source),
/// for `i ≤ h`, `j ≤ w`: `h + 1` rows of `w + 1` vectors. A 4×4 stride-2 kernel with padding 1
/// is then a 2×2 kernel with every tap real over these planes.
void deepgen_interleave16_shifted_phases(const float *src, int lanes, int h, int w, float *dst, long dst_row);

/// The inverse: writes lanes `< lanes` of the `(h + 1) × (w + 1)` vectors at `src` to their
/// source pixels (each source pixel has exactly one; plane pixels outside the source are dropped).
void deepgen_deinterleave16_shifted_phases(const float *src, long src_row, int h, int w, int lanes, float *dst);

/// Adam's scalars for one step (see `deepgen_adam_update`).
struct deepgen_adam_scalars {
    float decay, l2, w1, b2, one_minus_b2, bias_correction2_sqrt, eps, neg_step_size, grad_scale;
    int decoupled;
};

/// One Adam/AdamW step on `n` elements, in PyTorch's order of operations: `g *= grad_scale`
/// (gradient clipping's coefficient, 1 without; the same product clipping in place makes), with
/// `decoupled`, `p *= decay`, else `g = fma(l2, p, g)`; `m = lerp(m, g, w1)`; `v = v·b2 + (1−b2)·g·g`;
/// with AMSGrad (`vmax` not NULL) `vmax = max(vmax, v)` is used in place of `v`;
/// `p += neg_step_size · m / (sqrt(v) / bias_correction2_sqrt + eps)`. One vectorized pass
/// (Swift's SIMD `squareRoot()` runs lane by lane; this loop uses the vector square root).
/// Returns 0, or bit 0 set when a gradient element is NaN or infinite and bit 1 when an updated
/// parameter is (checked in the same pass, so a diverging run is caught without another one).
int deepgen_adam_update(float *p, const float *g, float *m, float *v, float *vmax, size_t n,
                        const struct deepgen_adam_scalars *s);

/// 1 when none of the `n` floats at `x` is NaN or infinite, else 0 (one vectorized pass).
int deepgen_all_finite(const float *x, long n);

/// Σ x² over the `n` floats at `x` in double: element i goes to partial sum i mod 16, and the
/// sixteen are added pairwise in a fixed order (the same result on every machine).
double deepgen_sum_of_squares(const float *x, long n);

/// The count of open thread-count scopes (`Parallel.withThreadCount`), kept atomically.
void deepgen_scope_enter(void);
void deepgen_scope_exit(void);
long deepgen_open_scopes(void);

#endif
