#include "m0nn_internal.h"

static const int32_t zero_bias[8] = {0, 0, 0, 0, 0, 0, 0, 0};

/* The block loop runs in `blocks` (assembly on ARMv6-M); see m0nn_internal.h. */
m0nn_status_t m0nn_fc_b8_mul32(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                               m0nn_b8_blocks_fn_t blocks)
{
    const m0nn_status_t status = m0nn_fc_s8_b8_check(p, input, output);
    m0nn_b8_job_t job;
    int32_t i;

    if (status != M0NN_OK) {
        return status;
    }
    if (p->requant != M0NN_REQUANT_MUL32) {
        return M0NN_ERR_QUANT;
    }
    job.input = (const uint8_t *)input;
    job.weights = (const uint8_t *)p->weights;
    job.in_size = p->in_size;
    job.correction = m0nn_b8_correction(job.input, p->in_size);
    job.bias = p->bias != 0 ? p->bias : zero_bias;
    job.bias_step = p->bias != 0 ? 32 : 0;
    job.multiplier = p->multiplier;
    job.shift = p->shift;
    job.step = p->per_channel ? 4 : 0;
    job.output = output;
    job.offset_minus_min = p->output_offset - p->act_min;
    job.span = p->act_max - p->act_min;
    job.act_min = p->act_min;
    if (p->weight_zero_point != 0) {
        /* Block by block, each with its biases less z * sum(x) (modulo 2^32). */
        const uint32_t sum = m0nn_sum_u8(job.input, p->in_size);
        const int32_t step = p->per_channel ? 1 : 0;
        int32_t o0;
        for (o0 = 0; o0 < p->out_size; o0 += 8) {
            int32_t block_bias[8];
            job.rows = M0NN_B8_ROWS(p->out_size, o0);
            for (i = 0; i < 8; ++i) {
                const uint32_t b = p->bias != 0 && i < job.rows ? (uint32_t)p->bias[o0 + i] : 0u;
                const uint32_t z = i < job.rows ? (uint32_t)p->weight_zero_point[(o0 + i) * step] : 0u;
                block_bias[i] = (int32_t)(b - z * sum);
            }
            job.bias = block_bias;
            job.bias_step = 0;
            job.n_blocks = 1;
            blocks(&job);
        }
        return M0NN_OK;
    }
    job.rows = 8;
    job.n_blocks = p->out_size >> 3;
    if (job.n_blocks > 0) {
        blocks(&job);
    }
    if ((p->out_size & 7) != 0) {
        int32_t tail_bias[8];
        job.rows = p->out_size & 7;
        for (i = 0; i < 8; ++i) {
            tail_bias[i] = p->bias != 0 && i < job.rows ? job.bias[i] : 0;
        }
        job.bias = tail_bias;
        job.n_blocks = 1;
        blocks(&job);
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    return m0nn_fc_b8_mul32(p, input, output, m0nn_b8_mul32_blocks);
}
