#include "m0nn_internal.h"

/* [rows][cols] -> [cols][rows]: ONNX channel-major order to channels-last and back. */
m0nn_status_t m0nn_transpose_s8(const m0nn_transpose_s8_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t r, c;
    if (!p || !input || !output) {
        return M0NN_ERR_NULL;
    }
    if (p->rows < 1 || p->cols < 1) {
        return M0NN_ERR_SIZE;
    }
    for (r = 0; r < p->rows; ++r) {
        for (c = 0; c < p->cols; ++c) {
            output[c * p->rows + r] = input[r * p->cols + c];
        }
    }
    return M0NN_OK;
}
