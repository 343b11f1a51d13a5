#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_dw_requant_mul32_armv6m.S);
 * products and sums modulo 2^32 as the assembly's, then an arithmetic shift. */
#if !defined(__ARM_ARCH_6M__)
static int8_t dw_mul32_clamp(const m0nn_dw_requant_job_t *job, uint32_t a, uint32_t c)
{
    const uint32_t v = a * (uint32_t)job->m + c;
    /* floor(v / 2^right) of v as int32, without shifting a negative value */
    const int32_t y = (int32_t)(v >> job->right) - (int32_t)((v & 0x80000000u) >> job->right << 1);
    int32_t t = y + job->d;
    t = t < 0 ? 0 : t > job->span ? job->span : t;
    return (int8_t)(t + job->lo);
}

void m0nn_dw_requant_mul32(const m0nn_dw_requant_job_t *job)
{
    int8_t *out = job->out;
    int32_t r, i;
    for (r = 0; r < job->rows; ++r) {
        const uint32_t *s = (const uint32_t *)(const void *)((const uint8_t *)job->sums + r * job->row_step);
        for (i = 0; i < job->pairs; ++i, s += 2) {
            *out = dw_mul32_clamp(job, s[0] - (s[1] << 16), job->c0);
            out += job->out_step;
            if (i + 1 < job->pairs || !job->odd) {
                *out = dw_mul32_clamp(job, s[1], job->c1);
                out += job->out_step;
            }
        }
        out += job->out_skip;
    }
}
#endif
