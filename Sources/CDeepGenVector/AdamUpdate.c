#include "CDeepGenVector.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// NaN or infinite: the exponent bits all ones. Tested as integers, an OR reduction the loop
// vectorizes along with the update.
static inline __attribute__((always_inline)) uint32_t non_finite(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    return (bits & 0x7F800000u) == 0x7F800000u;
}

// PyTorch rounds each operation separately (except where the Swift caller asks for a fused
// multiply-add), so the compiler must not contract a*b+c into one FMA here.
#pragma STDC FP_CONTRACT OFF

// The flags are constants in each call below, so every variant is a loop without branches. (A
// runtime test inside the loop was if-converted into masked loads and stores through the NULL
// `vmax`, which AMD cores execute through a slow fault-suppression assist.)
static inline __attribute__((always_inline)) int adam_loop(
    float *restrict p, const float *restrict g, float *restrict m, float *restrict v, float *restrict vmax,
    size_t n, const struct deepgen_adam_scalars *s, const int decoupled, const int l2_on, const int small_w,
    const int ams) {
    const float decay = s->decay, l2 = s->l2, w1 = s->w1, b2 = s->b2, one_minus_b2 = s->one_minus_b2;
    const float bc2_sqrt = s->bias_correction2_sqrt, eps = s->eps, neg_step = s->neg_step_size, scale = s->grad_scale;
    uint32_t bad_g = 0, bad_p = 0;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * scale, pi = p[i];
        bad_g |= non_finite(gi);
        if (decoupled) pi *= decay; else if (l2_on) gi = fmaf(l2, pi, gi);
        const float mi = small_w ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * (1 - w1);
        const float vi = v[i] * b2 + one_minus_b2 * gi * gi;
        float second = vi;
        if (ams) { second = vmax[i] < vi ? vi : vmax[i]; vmax[i] = second; }
        m[i] = mi;
        v[i] = vi;
        const float denominator = sqrtf(second) / bc2_sqrt + eps;
        const float updated = pi + neg_step * mi / denominator;
        bad_p |= non_finite(updated);
        p[i] = updated;
    }
    return (int)(bad_g | (bad_p << 1));
}

int deepgen_adam_update(float *p, const float *g, float *m, float *v, float *vmax, size_t n,
                        const struct deepgen_adam_scalars *s) {
    const int decoupled = s->decoupled != 0, l2_on = !decoupled && s->l2 != 0, small_w = fabsf(s->w1) < 0.5f;
    if (vmax != NULL) {  // AMSGrad is rare: one general loop
        return adam_loop(p, g, m, v, vmax, n, s, decoupled, l2_on, small_w, 1);
    } else if (small_w && !decoupled && !l2_on) {  // Adam without weight decay, β₁ > 0.5: the usual case
        return adam_loop(p, g, m, v, NULL, n, s, 0, 0, 1, 0);
    } else if (small_w && decoupled) {  // AdamW
        return adam_loop(p, g, m, v, NULL, n, s, 1, 0, 1, 0);
    } else {
        return adam_loop(p, g, m, v, NULL, n, s, decoupled, l2_on, small_w, 0);
    }
}
