#include "m0nn_internal.h"

/* The packed 4-bit kernel with MUL32 requantization: the block loop of
 * m0nn_fc_s8_b8 (checks, correction, padded last block) with the 4-bit blocks. */
m0nn_status_t m0nn_fc_s8_b4(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    static const m0nn_b8_kernel_t kernel = {m0nn_b4_mul32_blocks, 0, 0, M0NN_MAX_SIZE};
    return m0nn_fc_b8_mul32(p, input, output, &kernel);
}
