#include "m0nn_internal.h"

/* The blocked kernels on the wide layout: see m0nn.h. */
m0nn_status_t m0nn_fc_s8_b8w(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    static const m0nn_b8_kernel_t kernel = {m0nn_b8w_mul32_blocks, 1, 0, M0NN_MAX_SIZE};
    return m0nn_fc_b8_mul32(p, input, output, &kernel);
}
