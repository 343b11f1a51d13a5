#include "m0nn_internal.h"

/* The blocked kernel on the pairs layout: see m0nn.h. */
m0nn_status_t m0nn_fc_s8_b8p(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    return m0nn_fc_b8_mul32_walk(p, input, output, m0nn_b8p_mul32_blocks, M0NN_B8_PAIRS, 1);
}
