#include "m0nn_internal.h"

/* Portable version for every target but little-endian ARMv6-M
 * (m0nn_q31_split_store_armv6m.S). */
#if !defined(__ARM_ARCH_6M__) || defined(__ARM_BIG_ENDIAN)
void m0nn_q31_split_store(const int32_t *acc, int32_t rows, const m0nn_q31_split_job_t *job, int8_t *output)
{
    const int32_t step = job->step / 4;
    int32_t r;
    for (r = 0; r < rows; ++r) {
        const int32_t z =
            m0nn_requantize_q31_split(acc[r], job->multiplier + r * step, job->shift[r * step], job->output_offset);
        m0nn_store_byte(output + r, m0nn_clamp(z, job->act_min, job->act_max));
    }
}
#endif
