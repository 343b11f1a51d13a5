#include "m0nn_internal.h"

void m0nn_fc_b8_mul32_rest(const m0nn_fc_s8_params_t *p, m0nn_b8_job_t *job, const m0nn_b8_kernel_t *kernel,
                           uint32_t sum)
{
    static const int32_t zero_bias[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int32_t step = p->per_channel;
    int32_t o;
    int32_t i;
    if (p->bias == 0) {
        job->bias = zero_bias;
        job->bias_step = 0;
    }
    job->n_blocks = p->weight_zero_point != 0 || p->bias == 0 ? 0 : p->out_size >> 3;
    o = 8 * job->n_blocks;
    if (job->n_blocks > 0) {
        kernel->blocks(job);
    }
    for (; o < p->out_size; o += job->rows) {
        int32_t block_bias[8];
        job->rows = M0NN_B8_ROWS(p->out_size, o);
        job->n_blocks = 1;
        if (kernel->reads4 && p->weight_zero_point == 0 && p->bias != 0 && job->rows == 4) {
            job->bias = p->bias + o;
            kernel->blocks(job);
            continue;
        }
        for (i = 0; i < 8; ++i) {
            block_bias[i] = p->bias != 0 && i < job->rows ? p->bias[o + i] : 0; /* padding: read, not used */
        }
        if (p->weight_zero_point != 0) {
            for (i = 0; i < job->rows; ++i) {
                block_bias[i] =
                    (int32_t)((uint32_t)block_bias[i] - (uint32_t)p->weight_zero_point[(o + i) * step] * sum);
            }
        }
        job->bias = block_bias;
        kernel->blocks(job);
    }
}

/* The portable walk: m0nn_fc_b8_mul32 itself, or on ARMv6-M the assembly
 * entry's path for everything but the usual legal layer. */
#if defined(__ARM_ARCH_6M__)
m0nn_status_t m0nn_fc_b8_mul32_c(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                                 const m0nn_b8_kernel_t *kernel)
#else
m0nn_status_t m0nn_fc_b8_mul32(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                               const m0nn_b8_kernel_t *kernel)
#endif
{
    const m0nn_status_t status = m0nn_fc_b8_mul32_check(p, input, output, kernel->max_in);
    m0nn_b8_job_t job;
    uint32_t sum = 0;
    if (status != M0NN_OK) {
        return status;
    }
    job.input = (const uint8_t *)input;
    job.weights = (const uint8_t *)p->weights;
    job.in_size = p->in_size;
    /* the pairs layout reads centred input x = u - 128 and int8 weights: no
     * correction, and a weight zero point z takes z * sum(x) */
    if (!kernel->pairs || p->weight_zero_point != 0) {
        sum = m0nn_sum_u8(job.input, job.in_size) - (kernel->pairs ? 128u * (uint32_t)job.in_size : 0u);
    }
    job.correction = kernel->pairs ? 0 : (int32_t)(0u - 128u * sum); /* the weights' +128 */
    job.bias = p->bias;
    job.bias_step = 32;
    job.multiplier = p->multiplier;
    job.shift = p->shift;
    job.step = p->per_channel << 2; /* 0 or 1, checked */
    job.output = output;
    job.act_min = p->act_min;
    job.offset_minus_min = p->output_offset - job.act_min;
    job.span = p->act_max - job.act_min;
    job.rows = 8;
    job.n_blocks = p->out_size >> 3;
    if (job.bias == 0 || p->weight_zero_point != 0 || (p->out_size & 7) != 0) {
        if (job.bias != 0 && p->weight_zero_point == 0 && kernel->pairs) {
            job.rows = 1; /* the pairs loop reads no bias past out_size: one call, one stage */
            job.n_blocks = p->out_size;
        } else if (kernel->reads4 && job.bias != 0 && p->weight_zero_point == 0 && p->out_size == 4) {
            job.rows = 4; /* one block of 4 rows reads the caller's 4 biases */
            job.n_blocks = 1;
        } else {
            m0nn_fc_b8_mul32_rest(p, &job, kernel, sum);
            return M0NN_OK;
        }
    }
    kernel->blocks(&job); /* the usual layer: every block at once */
    return M0NN_OK;
}

m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    static const m0nn_b8_kernel_t kernel = {m0nn_b8_mul32_blocks, 1, 0, M0NN_MAX_SIZE};
    return m0nn_fc_b8_mul32(p, input, output, &kernel);
}
