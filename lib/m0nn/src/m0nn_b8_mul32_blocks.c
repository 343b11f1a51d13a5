#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_b8_mul32_blocks_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
void m0nn_b8_mul32_blocks(m0nn_b8_job_t *job)
{
    while (job->n_blocks > 0) {
        int32_t acc[8];
        int32_t r;
        for (r = 0; r < 8; ++r) {
            acc[r] = job->bias[r] + job->correction;
        }
        m0nn_dot8_s8(job->input, job->weights, job->in_size, acc);
        job->weights += 8 * job->in_size;
        job->bias = (const int32_t *)((const uint8_t *)job->bias + job->bias_step);
        for (r = 0; r < job->rows; ++r) {
            int32_t y = m0nn_requantize_mul32(acc[r], *job->multiplier, -*job->shift) + job->output_offset;
            y = y < job->act_min ? job->act_min : y;
            y = y > job->act_max ? job->act_max : y;
            *job->output++ = (int8_t)y;
            job->multiplier = (const int32_t *)((const uint8_t *)job->multiplier + job->step);
            job->shift = (const int32_t *)((const uint8_t *)job->shift + job->step);
        }
        --job->n_blocks;
    }
}
#endif
