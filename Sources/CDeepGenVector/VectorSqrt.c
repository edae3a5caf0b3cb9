#include "CDeepGenVector.h"
#include <math.h>

void deepgen_vector_sqrt_inplace(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = sqrtf(x[i]);
}
