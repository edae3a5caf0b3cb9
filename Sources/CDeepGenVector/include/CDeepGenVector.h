#ifndef CDEEPGEN_VECTOR_H
#define CDEEPGEN_VECTOR_H

#include <stddef.h>

/// x[i] = sqrt(x[i]) for i < n, in place (correctly rounded, as the scalar sqrt). Swift's SIMD
/// `squareRoot()` runs lane by lane; this compiled C loop uses the vector square-root
/// instruction. (In place so the loop needs no run-time aliasing check, which an in-place call
/// to a two-pointer version would fail, falling back to scalar code.)
void deepgen_vector_sqrt_inplace(float *x, size_t n);

#endif
