#include "m0nn_internal.h"

static const int32_t zero_bias[8] = {0, 0, 0, 0, 0, 0, 0, 0};

/* The block loop runs in `blocks` (assembly on ARMv6-M); see m0nn_internal.h. */
m0nn_status_t m0nn_fc_b8_mul32(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                               m0nn_b8_blocks_fn_t blocks, int32_t reads4)
{
    const m0nn_status_t status = m0nn_fc_s8_b8_check(p, input, output);
    const int32_t step = p->per_channel ? 1 : 0;
    m0nn_b8_job_t job;
    uint32_t sum;
    int32_t o;
    int32_t i;

    if (status != M0NN_OK) {
        return status;
    }
    if (p->requant != M0NN_REQUANT_MUL32) {
        return M0NN_ERR_QUANT;
    }
    if (reads4 == M0NN_B8_PAIRS && p->in_size > M0NN_B8P_MAX_IN) {
        return M0NN_ERR_SIZE;
    }
    job.input = (const uint8_t *)input;
    job.weights = (const uint8_t *)p->weights;
    job.in_size = p->in_size;
    if (reads4 == M0NN_B8_PAIRS) {
        /* centred input x = u - 128 and int8 weights: no correction; a weight
         * zero point z takes z * sum(x) */
        sum = p->weight_zero_point != 0 ? m0nn_sum_u8(job.input, p->in_size) - 128u * (uint32_t)p->in_size : 0u;
        job.correction = 0;
    } else {
        sum = m0nn_sum_u8(job.input, p->in_size);
        job.correction = (int32_t)(0u - 128u * sum); /* the weights' +128 */
    }
    job.bias = p->bias != 0 ? p->bias : zero_bias;
    job.bias_step = p->bias != 0 ? 32 : 0;
    job.multiplier = p->multiplier;
    job.shift = p->shift;
    job.step = p->per_channel ? 4 : 0;
    job.output = output;
    job.offset_minus_min = p->output_offset - p->act_min;
    job.span = p->act_max - p->act_min;
    job.act_min = p->act_min;
    /* Full blocks in one call (the ARMv6-M loop steps the bias 8 rows per
     * block: a NULL bias goes block by block); then the last partial block,
     * fed a padded copy of its biases (with reads4, one of exactly 4 rows reads
     * its own 4), or,
     * with a weight zero point z, every block one by one, each fed its biases
     * less z * sum(x) (modulo 2^32). */
    job.rows = 8;
    job.n_blocks = p->weight_zero_point != 0 || p->bias == 0 ? 0 : p->out_size >> 3;
    o = 8 * job.n_blocks;
    if (job.n_blocks > 0) {
        blocks(&job);
    }
    for (; o < p->out_size; o += job.rows) {
        int32_t block_bias[8];
        job.rows = M0NN_B8_ROWS(p->out_size, o);
        job.n_blocks = 1;
        if (reads4 && p->weight_zero_point == 0 && p->bias != 0 && job.rows == 4) {
            job.bias = p->bias + o;
            blocks(&job);
            continue;
        }
        for (i = 0; i < 8; ++i) {
            block_bias[i] = p->bias != 0 && i < job.rows ? p->bias[o + i] : 0; /* padding: read, not used */
        }
        if (p->weight_zero_point != 0) {
            for (i = 0; i < job.rows; ++i) {
                block_bias[i] =
                    (int32_t)((uint32_t)block_bias[i] - (uint32_t)p->weight_zero_point[(o + i) * step] * sum);
            }
        }
        job.bias = block_bias;
        blocks(&job);
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    return m0nn_fc_b8_mul32(p, input, output, m0nn_b8_mul32_blocks, 1);
}
