#include "m0nn_internal.h"

/* The packed 4-bit kernel with MUL32 requantization: the walk of m0nn_internal.h. */
m0nn_status_t m0nn_fc_s8_b4(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    if (p != 0 && p->requant != M0NN_REQUANT_MUL32) {
        return M0NN_ERR_QUANT;
    }
    return m0nn_fc_b4_walk(p, input, output, M0NN_REQUANT_MUL32);
}
