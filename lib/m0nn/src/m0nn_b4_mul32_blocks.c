#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_b4_mul32_blocks_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
void m0nn_b4_mul32_blocks(m0nn_b8_job_t *job)
{
    /* job->correction = -128 * sum(x) >= -2^31 + 1; the 4-bit weights' +8 needs -8 * sum(x). */
    const int32_t correction = -((-job->correction) >> 4);
    while (job->n_blocks > 0) {
        int32_t acc[8];
        m0nn_b4_dot8(job->input, job->weights, job->in_size, acc);
        job->weights += 4 * job->in_size;
        m0nn_b8_job_block_done(job, acc, correction);
    }
}
#endif
