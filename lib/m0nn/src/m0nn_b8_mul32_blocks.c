#include "m0nn_internal.h"

/* Portable versions for every target but ARMv6-M (m0nn_b8_mul32_blocks_armv6m.S);
 * one per layout, like the assembly. */
#if !defined(__ARM_ARCH_6M__)
static void m0nn_b8_blocks(m0nn_b8_job_t *job, int32_t wide)
{
    while (job->n_blocks > 0) {
        int32_t acc[8];
        int32_t r;
        if (job->rows > 4) {
            (wide ? m0nn_b8w_dot8 : m0nn_b8_dot8)(job->input, job->weights, job->in_size, acc);
        } else {
            (wide ? m0nn_b8w_dot4 : m0nn_b8_dot4)(job->input, job->weights, job->in_size, acc);
        }
        job->weights += M0NN_B8_STRIDE(job->rows) * job->in_size * (wide ? 2 : 1);
        for (r = 0; r < job->rows; ++r) {
            const int32_t a = (int32_t)((uint32_t)acc[r] + (uint32_t)job->bias[r] + (uint32_t)job->correction);
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

void m0nn_b8_mul32_blocks(m0nn_b8_job_t *job)
{
    m0nn_b8_blocks(job, 0);
}

void m0nn_b8w_mul32_blocks(m0nn_b8_job_t *job)
{
    m0nn_b8_blocks(job, 1);
}
#endif
