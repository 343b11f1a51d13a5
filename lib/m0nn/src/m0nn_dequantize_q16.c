#include "m0nn_internal.h"

m0nn_status_t m0nn_dequantize_q16(const m0nn_dequantize_params_t *params, const int8_t *q, int32_t *output, int32_t n)
{
    int32_t zero_point;
    int32_t multiplier;
    int32_t right;
    int32_t i;

    if (params == 0 || q == 0 || output == 0) {
        return M0NN_ERR_NULL;
    }
    if (n < 1) {
        return M0NN_ERR_SIZE;
    }
    if (params->shift < -31 || params->shift > -1 || params->multiplier < 0) {
        return M0NN_ERR_QUANT;
    }
    if (params->zero_point < -128 || params->zero_point > 127) {
        return M0NN_ERR_OFFSET;
    }
    /* Locals: an int32 store may alias the parameters. */
    zero_point = params->zero_point;
    multiplier = params->multiplier;
    right = -params->shift;
    for (i = 0; i < n; ++i) {
        output[i] = m0nn_shift_round_half_even((q[i] - zero_point) * multiplier, right);
    }
    return M0NN_OK;
}
