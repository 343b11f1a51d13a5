#include "m0nn_internal.h"

/* A 256-entry table: the host evaluates the float function once per input value. */
m0nn_status_t m0nn_lut_s8(const m0nn_lut_s8_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    if (!p || !p->table || !input || !output) {
        return M0NN_ERR_NULL;
    }
    if (p->size < 1) {
        return M0NN_ERR_SIZE;
    }
    for (i = 0; i < p->size; ++i) {
        output[i] = p->table[(uint8_t)((int32_t)input[i] + 128)];
    }
    return M0NN_OK;
}
