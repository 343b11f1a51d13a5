#include "m0nn_internal.h"

/* The argument check shared by the pools. */
m0nn_status_t m0nn_pool_s8_check(const m0nn_pool_s8_params_t *p, const int8_t *input, const int8_t *output,
                                 int32_t average)
{
    if (!p || !input || !output) {
        return M0NN_ERR_NULL;
    }
    if (p->in_h < 1 || p->in_w < 1 || p->channels < 1 || p->out_h < 1 || p->out_w < 1 || p->in_h > M0NN_MAX_SIZE ||
        p->in_w > M0NN_MAX_SIZE || p->channels > M0NN_MAX_SIZE || p->out_h > M0NN_MAX_SIZE ||
        p->out_w > M0NN_MAX_SIZE || p->kernel_h < 1 || p->kernel_w < 1 || p->kernel_h > 255 || p->kernel_w > 255 ||
        p->stride_h < 1 || p->stride_w < 1 || p->stride_h > 255 || p->stride_w > 255 || p->pad_top < 0 ||
        p->pad_left < 0 || p->pad_top >= p->kernel_h || p->pad_left >= p->kernel_w) {
        return M0NN_ERR_SIZE;
    }
    if (average) {
        if (p->multiplier ? !p->shift : (!p->recip_mult || !p->recip_shift)) {
            return M0NN_ERR_NULL;
        }
        if (p->multiplier && (p->pre_shift < 0 || p->pre_shift > 23 ||
                              (255 * p->kernel_h * p->kernel_w) > (INT32_MAX >> p->pre_shift))) {
            return M0NN_ERR_QUANT;
        }
        if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 || p->output_offset > 127) {
            return M0NN_ERR_OFFSET;
        }
    }
    return M0NN_OK;
}
