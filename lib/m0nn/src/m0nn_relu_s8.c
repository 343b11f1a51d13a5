#include "m0nn_internal.h"

m0nn_status_t m0nn_relu_s8(const int8_t *input, int8_t *output, int32_t n, int32_t zero_point)
{
    int32_t i;

    if (input == 0 || output == 0) {
        return M0NN_ERR_NULL;
    }
    if (n < 1) {
        return M0NN_ERR_SIZE;
    }
    if (zero_point < -128 || zero_point > 127) {
        return M0NN_ERR_OFFSET;
    }
    /* In the quantized domain real zero is the zero point, not 0. */
    for (i = 0; i < n; ++i) {
        output[i] = input[i] < zero_point ? (int8_t)zero_point : input[i];
    }
    return M0NN_OK;
}
