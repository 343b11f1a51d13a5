#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_dw_pack_armv6m.S). */
#if !defined(__ARM_ARCH_6M__)
void m0nn_dw_pack(const m0nn_dw_pack_job_t *job)
{
    int32_t r, k;
    for (r = 0; r < job->rows; ++r) {
        uint32_t *o = job->plane + r * M0NN_DW_ROW;
        const int8_t *x = job->x + r * job->row_in;
        uint32_t lo = job->pad_lo;
        for (k = 0; k < job->n; ++k) {
            const int32_t v = x[k * job->step];
            *o++ = lo + ((uint32_t)v << 16);
            lo = (uint32_t)(v + 129);
        }
        if (job->tail) {
            *o = lo + job->pad_hi;
        }
    }
}
#endif
