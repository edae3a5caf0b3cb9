#include "CDeepGenVector.h"

// Sixteen running sums, element i going to sum i mod 16: independent chains, so the loop runs
// at the speed of memory instead of one double addition's latency per element (gpt's gradient
// clipping spent 2% of its step in the one-chain loop), and a fixed order, so the result does
// not depend on the machine or the thread count.
double deepgen_sum_of_squares(const float *x, long n) {
    double acc[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 16; j++) {
            double v = (double)x[i + j];
            acc[j] += v * v;
        }
    }
    for (int j = 0; i < n; i++, j++) {
        double v = (double)x[i];
        acc[j] += v * v;
    }
    for (int width = 8; width >= 1; width /= 2) {
        for (int j = 0; j < width; j++) acc[j] += acc[j + width];
    }
    return acc[0];
}
