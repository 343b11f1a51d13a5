#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_mul32_tables_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
uint32_t m0nn_mul32_tables_bad(const int32_t *shift, const int32_t *multiplier, int32_t n)
{
    uint32_t all = ~0u;
    int32_t ored = 0;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const uint32_t s = (uint32_t)shift[i];
        all &= s & (s - 1u);
        ored |= multiplier[i];
    }
    return (~all >> 5) | ((uint32_t)ored >> 31);
}
#endif
