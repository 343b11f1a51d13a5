#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_conv_pair_dot_armv6m.S);
 * the sums wrap modulo 2^32 like the assembly's. */
#if !defined(__ARM_ARCH_6M__)
void m0nn_conv_pair_dot(const uint32_t *packed, const uint8_t *v, int32_t n, int32_t channels, int32_t *out)
{
    int32_t c, i;
    for (c = 0; c < channels; ++c) {
        uint32_t s = 0;
        uint32_t h = 0;
        for (i = 0; i < n; ++i) {
            const uint32_t p = packed[i] * (uint32_t)v[i];
            s += p;
            h += p >> 16;
        }
        v += n;
        out[2 * c] = (int32_t)(s - (h << 16));
        out[2 * c + 1] = (int32_t)h;
    }
}
#endif
