#include "m0nn_internal.h"

/* Portable versions for every target but ARMv6-M (m0nn_b8_dot_armv6m.S). The
 * sums wrap modulo 2^32 like the assembly's. */
#if !defined(__ARM_ARCH_6M__)
static void m0nn_b8_dot(const uint8_t *x, const uint8_t *w, int32_t n, int32_t rows, int32_t wide, int32_t *acc)
{
    uint32_t sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t i;
    int32_t r;
    for (i = 0; i < n; ++i) {
        const uint32_t xi = x[i];
        for (r = 0; r < rows; ++r) {
            const uint32_t v =
                wide ? (uint32_t)w[2 * M0NN_B8W_LANE(r)] | ((uint32_t)w[2 * M0NN_B8W_LANE(r) + 1] << 8) : w[r];
            sum[r] += v * xi;
        }
        w += rows * (wide ? 2 : 1);
    }
    for (r = 0; r < rows; ++r) {
        acc[r] = (int32_t)sum[r];
    }
}

void m0nn_b8_dot8(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[8])
{
    m0nn_b8_dot(x, w, n, 8, 0, acc);
}

void m0nn_b8_dot4(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[4])
{
    m0nn_b8_dot(x, w, n, 4, 0, acc);
}

void m0nn_b8w_dot8(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[8])
{
    m0nn_b8_dot(x, w, n, 8, 1, acc);
}

void m0nn_b8w_dot4(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[4])
{
    m0nn_b8_dot(x, w, n, 4, 1, acc);
}
#endif
