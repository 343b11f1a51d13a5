#include "m0nn_internal.h"

m0nn_status_t m0nn_fc_s8_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output)
{
    uint32_t bad = 0;
    int32_t n_quant;

    if (p == 0 || input == 0 || output == 0 || p->weights == 0 || p->shift == 0 ||
        (p->multiplier == 0 && p->requant != M0NN_REQUANT_SHIFT)) {
        return M0NN_ERR_NULL;
    }
    if (p->in_size < 1 || p->in_size > M0NN_MAX_SIZE || p->out_size < 1 || p->out_size > M0NN_MAX_SIZE) {
        return M0NN_ERR_SIZE;
    }
    /* The output is int8 (clamp within [-128, 127]) or offset-binary uint8
     * (clamp within [0, 255], the next blocked layer's input). */
    if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 || p->output_offset > 255 ||
        p->act_min < -128 || p->act_max > (p->act_min < 0 ? 127 : 255) || p->act_min > p->act_max) {
        return M0NN_ERR_OFFSET;
    }
    if (p->per_channel != 0 && p->per_channel != 1) {
        return M0NN_ERR_QUANT;
    }
    n_quant = p->per_channel ? p->out_size : 1;
    if (p->weight_zero_point != 0) {
        int32_t i;
        for (i = 0; i < n_quant; ++i) {
            /* z + 128 in [0, 255] */
            bad |= (uint32_t)p->weight_zero_point[i] + 128u;
        }
        if (bad > 255u) {
            return M0NN_ERR_OFFSET;
        }
        bad = 0;
    }
    /* Multipliers and shifts are data: check them all here, never in the loop.
     * This runs on every call: MUL32, the fast path, in m0nn_mul32_tables_bad
     * (assembly on ARMv6-M). Q31 checks t = s + 31 in [0, 61], SHIFT in
     * [0, 31]: neither t nor span - t may have the sign bit (unsigned
     * arithmetic, no overflow for any int32 s); a multiplier is legal iff it
     * is not negative. OR every value and test the sign bit once. */
    if (p->requant == M0NN_REQUANT_MUL32) {
        return m0nn_mul32_tables_bad(p->shift, p->multiplier, n_quant) != 0 ? M0NN_ERR_QUANT : M0NN_OK;
    }
    if (p->requant != M0NN_REQUANT_Q31 && p->requant != M0NN_REQUANT_SHIFT) {
        return M0NN_ERR_QUANT;
    }
    {
        const uint32_t span = p->requant == M0NN_REQUANT_Q31 ? 61u : 31u;
        int32_t i;
        for (i = 0; i < n_quant; ++i) {
            const uint32_t t = (uint32_t)p->shift[i] + 31u;
            bad |= t | (span - t) | (p->multiplier != 0 ? (uint32_t)p->multiplier[i] : 0u);
        }
    }
    if (bad >> 31) {
        return M0NN_ERR_QUANT;
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_fc_s8_b8_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output)
{
    const m0nn_status_t status = m0nn_fc_s8_check(p, input, output);
    if (status != M0NN_OK) {
        return status;
    }
    if (p->input_offset != 0) {
        return M0NN_ERR_OFFSET;
    }
    if (((uintptr_t)p->weights & 3u) != 0) {
        return M0NN_ERR_ALIGN;
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_fc_b8_mul32_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output,
                                     int32_t max_in)
{
    const int32_t *z;
    int32_t n_quant;
    int32_t lo;

    if (p == 0 || input == 0 || output == 0 || p->weights == 0 || p->shift == 0 ||
        (p->multiplier == 0 && p->requant != M0NN_REQUANT_SHIFT)) {
        return M0NN_ERR_NULL;
    }
    /* One unsigned compare per range: v - a wraps above b - a when v < a. */
    if ((uint32_t)p->in_size - 1u > M0NN_MAX_SIZE - 1u || (uint32_t)p->out_size - 1u > M0NN_MAX_SIZE - 1u) {
        return M0NN_ERR_SIZE;
    }
    lo = p->act_min;
    if (p->input_offset != 0 || (uint32_t)p->output_offset + 128u > 383u || lo < -128 ||
        p->act_max > (lo < 0 ? 127 : 255) || lo > p->act_max) {
        return M0NN_ERR_OFFSET;
    }
    if ((uint32_t)p->per_channel > 1u) {
        return M0NN_ERR_QUANT;
    }
    n_quant = p->per_channel ? p->out_size : 1;
    z = p->weight_zero_point;
    if (z != 0) {
        uint32_t bad = 0;
        int32_t i;
        for (i = 0; i < n_quant; ++i) {
            bad |= (uint32_t)z[i] + 128u; /* z + 128 in [0, 255] */
        }
        if (bad > 255u) {
            return M0NN_ERR_OFFSET;
        }
    }
    if (p->requant != M0NN_REQUANT_MUL32) {
        return M0NN_ERR_QUANT;
    }
    if (p->in_size > max_in) {
        return M0NN_ERR_SIZE;
    }
    if (((uintptr_t)p->weights & 3u) != 0) {
        return M0NN_ERR_ALIGN;
    }
    /* last: no output byte is written before the whole table check is done */
    return m0nn_mul32_tables_bad(p->shift, p->multiplier, n_quant) != 0u ? M0NN_ERR_QUANT : M0NN_OK;
}
