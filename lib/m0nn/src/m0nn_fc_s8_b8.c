#include "m0nn_internal.h"

/* The block loop runs in `blocks` (assembly on ARMv6-M); see m0nn_internal.h. */
m0nn_status_t m0nn_fc_b8_mul32(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                               m0nn_b8_blocks_fn_t blocks, int32_t reads4)
{
    return m0nn_fc_b8_mul32_walk(p, input, output, blocks, reads4, 0);
}

m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    return m0nn_fc_b8_mul32(p, input, output, m0nn_b8_mul32_blocks, 1);
}
