#include "m0nn_internal.h"

m0nn_status_t m0nn_quantize_s16(const m0nn_quantize_params_t *params, const int16_t *raw, int8_t *output, int32_t n)
{
    const m0nn_status_t status = m0nn_quantize_check(params, raw, output, n);
    int32_t i;

    if (status != M0NN_OK) {
        return status;
    }
    for (i = 0; i < n; ++i) {
        output[i] = m0nn_quantize_one(params, raw[i]);
    }
    return M0NN_OK;
}
