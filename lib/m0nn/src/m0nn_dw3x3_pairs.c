#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_dw3x3_pairs_armv6m.S),
 * the same sums modulo 2^32. */
#if !defined(__ARM_ARCH_6M__)
void m0nn_dw3x3_pairs(const uint32_t *q, int32_t row, const uint32_t *v, int32_t pairs, int32_t step, int32_t *out)
{
    int32_t i, r, k;
    for (i = 0; i < pairs; ++i) {
        uint32_t s = 0, h = 0, t = 0;
        for (r = 0; r < 3; ++r) {
            for (k = 0; k < 3; ++k) {
                const uint32_t u = q[i * step + r * row + k];
                const uint32_t p = u * v[3 * r + k];
                s += p;
                h += p >> 16;
                t += u;
            }
        }
        out[2 * i] = (int32_t)(s - (h << 16) - ((t & 0xffffu) << 7));
        out[2 * i + 1] = (int32_t)(h - ((t >> 16) << 7));
    }
}
#endif
