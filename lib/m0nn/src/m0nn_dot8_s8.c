#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (which uses m0nn_dot8_s8_armv6m.S).
 * The sums wrap modulo 2^32 like the assembly's: partial sums of the biased
 * weights may leave int32 even when the layer's true accumulator does not, and
 * the wrapped result is exact whenever the true one fits. */
#if !defined(__ARM_ARCH_6M__)
void m0nn_dot8_s8(const int8_t *x, const uint8_t *w, int32_t n, int32_t acc[8])
{
    int32_t i;
    int32_t r;
    for (i = 0; i < n; ++i) {
        const int32_t xi = x[i];
        for (r = 0; r < 8; ++r) {
            acc[r] = (int32_t)((uint32_t)acc[r] + (uint32_t)((int32_t)w[r] * xi));
        }
        w += 8;
    }
}
#endif
