#include "m0nn_internal.h"

/* The smallest configuration (kernel=small): m0nn_fc_s8's loop with MUL32
 * requantization only, so no 64-bit multiply is linked, and its own checks
 * (the ranges of m0nn_fc_s8_check for MUL32) in one pass. */
m0nn_status_t m0nn_fc_s8_small(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t *z;
    int32_t input_sum = 0;
    int32_t n_quant;
    uint32_t bad = 0;
    int32_t i;

    if (p == 0 || input == 0 || output == 0 || p->weights == 0 || p->shift == 0 || p->multiplier == 0) {
        return M0NN_ERR_NULL;
    }
    if (p->in_size < 1 || p->in_size > M0NN_MAX_SIZE || p->out_size < 1 || p->out_size > M0NN_MAX_SIZE) {
        return M0NN_ERR_SIZE;
    }
    if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 || p->output_offset > 255 ||
        p->act_min < -128 || p->act_max > (p->act_min < 0 ? 127 : 255) || p->act_min > p->act_max) {
        return M0NN_ERR_OFFSET;
    }
    if ((uint32_t)p->per_channel > 1u || p->requant != M0NN_REQUANT_MUL32) {
        return M0NN_ERR_QUANT; /* before any table is read: per_channel sets their length */
    }
    z = p->weight_zero_point;
    n_quant = p->per_channel ? p->out_size : 1;
    if (z != 0) {
        for (i = 0; i < n_quant; ++i) {
            bad |= (uint32_t)z[i] + 128u; /* z + 128 in [0, 255] */
        }
        if (bad > 255u) {
            return M0NN_ERR_OFFSET;
        }
        for (i = 0; i < p->in_size; ++i) {
            /* sum_i (x_i + input_offset): |.| <= 65535 * 255 */
            input_sum += (int32_t)input[i] + p->input_offset;
        }
    }
    /* MUL32 only: shift in [-31, -1] (t = -1 - s in [0, 30], unsigned), multiplier >= 0. */
    bad = 0;
    for (i = 0; i < n_quant; ++i) {
        bad |= (uint32_t)(-1 - p->shift[i]) > 30u;
        bad |= (uint32_t)p->multiplier[i] >> 31;
    }
    if (bad != 0) {
        return M0NN_ERR_QUANT;
    }
    {
        /* Locals: an int8 store may alias the parameters, which the compiler
         * would otherwise reload after every output. */
        const int8_t *row = (const int8_t *)p->weights;
        const int32_t *bias = p->bias;
        const int32_t *m = p->multiplier;
        const int32_t *s = p->shift;
        const int32_t step = p->per_channel;
        const int32_t n = p->in_size;
        const int32_t in_off = p->input_offset;
        const int32_t out_off = p->output_offset;
        const int32_t lo = p->act_min;
        const int32_t hi = p->act_max;
        int8_t *const end = output + p->out_size;
        for (; output != end; ++output) {
            /* as in m0nn_fc_s8: the products alone never leave int32; the zero
             * point's term and the bias follow modulo 2^32 */
            uint32_t acc = (bias != 0 ? (uint32_t)*bias++ : 0u) - (z != 0 ? (uint32_t)*z * (uint32_t)input_sum : 0u);
            for (i = 0; i < n; ++i) {
                acc += (uint32_t)(((int32_t)input[i] + in_off) * (int32_t)row[i]);
            }
            row += n;
            m0nn_store_byte(output, m0nn_offset_clamp(m0nn_requantize_mul32((int32_t)acc, *m, -*s), out_off, lo, hi));
            m += step;
            s += step;
            z = z != 0 ? z + step : z;
        }
    }
    return M0NN_OK;
}
