#include "m0nn_internal.h"

/* TFLite's int8 Add: both inputs to a common scale at 2^20 times resolution,
 * summed, then to the output scale. */
m0nn_status_t m0nn_add_s8(const m0nn_add_s8_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    int32_t i;
    if (!p || !input1 || !input2 || !output) {
        return M0NN_ERR_NULL;
    }
    if (p->size < 1) {
        return M0NN_ERR_SIZE;
    }
    if (p->input1_offset < -127 || p->input1_offset > 128 || p->input2_offset < -127 || p->input2_offset > 128 ||
        p->output_offset < -128 || p->output_offset > 127 || p->act_min < -128 || p->act_max > 127 ||
        p->act_min > p->act_max) {
        return M0NN_ERR_OFFSET;
    }
    if (p->input1_multiplier < 0 || p->input2_multiplier < 0 || p->output_multiplier < 0 || p->input1_shift < -31 ||
        p->input1_shift > 0 || p->input2_shift < -31 || p->input2_shift > 0 || p->output_shift < -31 ||
        p->output_shift > 30) {
        return M0NN_ERR_QUANT;
    }
    for (i = 0; i < p->size; ++i) {
        const int32_t a = ((int32_t)input1[i] + p->input1_offset) * (1 << M0NN_ADD_LEFT_SHIFT);
        const int32_t b = ((int32_t)input2[i] + p->input2_offset) * (1 << M0NN_ADD_LEFT_SHIFT);
        const int32_t sum = m0nn_requantize_q31(a, p->input1_multiplier, p->input1_shift) +
                            m0nn_requantize_q31(b, p->input2_multiplier, p->input2_shift);
        output[i] = (int8_t)m0nn_offset_clamp(m0nn_requantize_q31(sum, p->output_multiplier, p->output_shift),
                                              p->output_offset, p->act_min, p->act_max);
    }
    return M0NN_OK;
}
