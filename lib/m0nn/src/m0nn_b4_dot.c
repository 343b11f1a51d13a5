#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_b4_dot_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
void m0nn_b4_dot8(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[8])
{
    uint32_t sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t i;
    int32_t r;
    for (i = 0; i < n; ++i) {
        const uint32_t word = (uint32_t)w[0] | ((uint32_t)w[1] << 8) | ((uint32_t)w[2] << 16) | ((uint32_t)w[3] << 24);
        for (r = 0; r < 8; ++r) {
            sum[r] += ((word >> (4 * r)) & 15u) * x[i];
        }
        w += 4;
    }
    for (r = 0; r < 8; ++r) {
        acc[r] = (int32_t)sum[r];
    }
}
#endif
