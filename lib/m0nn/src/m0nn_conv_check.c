#include "m0nn_internal.h"

/* The argument check shared by the two convolutions. */
m0nn_status_t m0nn_conv_s8_check(const m0nn_conv_s8_params_t *p, const int8_t *input, const int8_t *output,
                                 int32_t depthwise)
{
    int32_t c;
    if (!p || !input || !output || !p->shift || (!p->multiplier && p->requant != M0NN_REQUANT_SHIFT)) {
        return M0NN_ERR_NULL;
    }
    if (!p->weights && (!p->lane_consts || !p->lane_weights)) { /* the fast paths read only the lanes */
        return M0NN_ERR_NULL;
    }
    if (p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1 || p->out_w < 1 || p->out_c < 1 ||
        p->in_h > M0NN_MAX_SIZE || p->in_w > M0NN_MAX_SIZE || p->in_c > M0NN_MAX_SIZE || p->out_h > M0NN_MAX_SIZE ||
        p->out_w > M0NN_MAX_SIZE || p->out_c > M0NN_MAX_SIZE) {
        return M0NN_ERR_SIZE;
    }
    if (p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 ||
        p->dilation_w < 1 || p->kernel_h > 255 || p->kernel_w > 255 || p->stride_h > 255 || p->stride_w > 255 ||
        p->dilation_h > 255 || p->dilation_w > 255 || p->pad_top < 0 || p->pad_left < 0 || p->pad_top > 255 ||
        p->pad_left > 255) {
        return M0NN_ERR_SIZE;
    }
    if (depthwise ? (p->depth_multiplier < 1 || p->in_c * p->depth_multiplier != p->out_c) : p->depth_multiplier != 0) {
        return M0NN_ERR_SIZE;
    }
    if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 || p->output_offset > 127 ||
        p->act_min < -128 || p->act_max > 127 || p->act_min > p->act_max) {
        return M0NN_ERR_OFFSET;
    }
    if (p->requant == M0NN_REQUANT_MUL32) { /* the usual mode: the tables at a few cycles a channel */
        return m0nn_mul32_tables_bad(p->shift, p->multiplier, p->out_c) ? M0NN_ERR_QUANT : M0NN_OK;
    }
    for (c = 0; c < p->out_c; ++c) {
        const int32_t s = p->shift[c];
        if (p->requant == M0NN_REQUANT_Q31     ? (p->multiplier[c] < 0 || s < -31 || s > 30)
            : p->requant == M0NN_REQUANT_MUL32 ? (p->multiplier[c] < 0 || s < -31 || s > -1)
            : p->requant == M0NN_REQUANT_SHIFT ? (s < -31 || s > 0)
                                               : 1) {
            return M0NN_ERR_QUANT;
        }
    }
    return M0NN_OK;
}
