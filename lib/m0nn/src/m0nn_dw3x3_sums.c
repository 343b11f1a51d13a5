#include "m0nn_internal.h"

/* Portable versions for every target but ARMv6-M (m0nn_dw3x3_sums_armv6m.S): the
 * same sums, modulo 2^32; the arithmetic shift of a negative P is spelled out
 * (C99 leaves it to the implementation). */
#if !defined(__ARM_ARCH_6M__)
static void dw_sums(const m0nn_dw3x3_job_t *job, int32_t kernel_h)
{
    int32_t r, i, ky, kx;
    for (r = 0; r < job->rows; ++r) {
        uint32_t *q = (uint32_t *)(void *)((uint8_t *)job->plane + r * job->row_step);
        for (i = 0; i < job->pairs; ++i, q += 2) {
            uint32_t s = 0, h = 0;
            for (ky = 0; ky < kernel_h; ++ky) {
                for (kx = 0; kx < 3; ++kx) {
                    const int32_t k = 3 * ky + kx;
                    const int32_t w = (int32_t)((job->weights[k >> 2] >> (8 * (k & 3)) & 0xffu) ^ 0x80u) - 0x80;
                    const uint32_t p = q[ky * M0NN_DW_ROW + kx] * (uint32_t)w;
                    s += p;
                    h += (p >> 16) | ((p & 0x80000000u) ? 0xffff0000u : 0u);
                }
            }
            q[0] = s;
            q[1] = h;
        }
    }
}

void m0nn_dw3x3_sums(const m0nn_dw3x3_job_t *job)
{
    dw_sums(job, 3);
}

void m0nn_dw1x3_sums(const m0nn_dw3x3_job_t *job)
{
    dw_sums(job, 1);
}
#endif
