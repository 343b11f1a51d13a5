#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_sum_u8_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
uint32_t m0nn_sum_u8(const uint8_t *x, int32_t n)
{
    uint32_t sum = 0;
    int32_t i;
    for (i = 0; i < n; ++i) {
        sum += x[i];
    }
    return sum;
}
#endif
