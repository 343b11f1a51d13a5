#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_b4_mul32_blocks_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
void m0nn_b4_mul32_blocks(m0nn_b8_job_t *job)
{
    /* job->correction = -128 * sum(x) >= -2^31 + 1; the 4-bit weights' +8 needs -8 * sum(x). */
    const int32_t correction = -((-job->correction) >> 4);
    while (job->n_blocks > 0) {
        int32_t acc[8];
        int32_t r;
        m0nn_b4_dot8(job->input, job->weights, job->in_size, acc);
        job->weights += 4 * job->in_size;
        for (r = 0; r < job->rows; ++r) {
            const int32_t a = (int32_t)((uint32_t)acc[r] + (uint32_t)job->bias[r] + (uint32_t)correction);
            const int32_t y = m0nn_requantize_mul32(a, *job->multiplier, -*job->shift) + job->offset_minus_min;
            m0nn_store_byte(job->output++, (uint32_t)y > (uint32_t)job->span ? (y < 0 ? 0 : job->span) + job->act_min
                                                                             : y + job->act_min);
            job->multiplier = (const int32_t *)((const uint8_t *)job->multiplier + job->step);
            job->shift = (const int32_t *)((const uint8_t *)job->shift + job->step);
        }
        job->bias = (const int32_t *)((const uint8_t *)job->bias + job->bias_step);
        --job->n_blocks;
    }
}
#endif
