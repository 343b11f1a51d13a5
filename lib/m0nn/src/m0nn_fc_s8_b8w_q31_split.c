#include "m0nn_internal.h"

/* The wide-layout blocked kernel with Q31 requantization from 16-bit products (no 64-bit
 * multiply): m0nn_requantize_q31_split in the walk of m0nn_internal.h. */
m0nn_status_t m0nn_fc_s8_b8w_q31_split(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    if (p != 0 && p->requant != M0NN_REQUANT_Q31) {
        return M0NN_ERR_QUANT;
    }
    return m0nn_fc_b8_walk(p, input, output, M0NN_Q31_SPLIT, 1);
}
