#include "CDeepGenVector.h"
#include <stdint.h>
#include <string.h>

// A float is NaN or infinite exactly when its exponent bits are all ones. Testing the bits as
// integers makes the loop an OR reduction, which vectorizes without fast-math (a float sum
// would keep its order and stay scalar).
int deepgen_all_finite(const float *x, long n) {
    uint32_t bad = 0;
    long i = 0;
    for (; i + 64 <= n; i += 64) {
        uint32_t block = 0;
        for (int j = 0; j < 64; j++) {
            uint32_t bits;
            memcpy(&bits, x + i + j, 4);
            block |= (bits & 0x7F800000u) == 0x7F800000u;
        }
        bad |= block;
        if (bad) return 0;
    }
    for (; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, x + i, 4);
        bad |= (bits & 0x7F800000u) == 0x7F800000u;
    }
    return bad == 0;
}
