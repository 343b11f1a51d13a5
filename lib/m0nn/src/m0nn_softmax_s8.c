#include "m0nn_internal.h"

/* floor(2^31 / s) for s in [2^15, 2^16): restoring shift-subtract, one quotient
 * bit per step, so no divide instruction or helper is needed. */
static uint32_t reciprocal_q31(uint32_t s)
{
    uint32_t q = 0;
    uint32_t r = 1; /* the numerator's only set bit, bit 31, brought down first */
    int32_t bit;
    for (bit = 31; bit >= 0; --bit) {
        if (r >= s) {
            r -= s;
            q |= 1u << bit;
        }
        r <<= 1;
    }
    return q;
}

/* Integer softmax over each row (see m0nn.h for the steps). */
m0nn_status_t m0nn_softmax_s8(const m0nn_softmax_s8_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t row, i;
    if (!p || !p->exp_table || !input || !output) {
        return M0NN_ERR_NULL;
    }
    if (p->rows < 1 || p->length < 1 || p->length > M0NN_MAX_SIZE) {
        return M0NN_ERR_SIZE;
    }
    if (p->output_offset < -128 || p->output_offset > 127) {
        return M0NN_ERR_OFFSET;
    }
    if (p->output_multiplier < 1 || p->output_multiplier > 65535 || p->output_shift < 0 || p->output_shift > 31) {
        return M0NN_ERR_QUANT;
    }
    for (row = 0; row < p->rows; ++row) {
        const int8_t *x = input + row * p->length;
        int8_t *out = output + row * p->length;
        const uint32_t rounding = p->output_shift > 0 ? 1u << (p->output_shift - 1) : 0u;
        int32_t max = -128;
        uint32_t sum = 0;
        int32_t r = 0;
        uint32_t recip;
        for (i = 0; i < p->length; ++i) {
            max = x[i] > max ? x[i] : max;
        }
        for (i = 0; i < p->length; ++i) {
            sum += p->exp_table[max - x[i]];
        }
        while ((sum >> r) >= 65536u) {
            ++r;
        }
        recip = reciprocal_q31(sum >> r);
        for (i = 0; i < p->length; ++i) {
            const uint32_t prob = ((uint32_t)p->exp_table[max - x[i]] * recip) >> (16 + r);
            int32_t y = (int32_t)((prob * (uint32_t)p->output_multiplier + rounding) >> p->output_shift);
            y += p->output_offset;
            out[i] = (int8_t)(y > 127 ? 127 : y);
        }
    }
    return M0NN_OK;
}
