#include "m0nn_internal.h"

/* Depthwise convolution: output channel ci * depth_multiplier + m reads input
 * channel ci only; weights [kernel_h][kernel_w][out_c]. */
m0nn_status_t m0nn_depthwise_conv_s8(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_conv_s8_check(p, input, output, 1);
    int32_t oy, ox, ci, m;
    if (status != M0NN_OK) {
        return status;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *out = output + (oy * p->out_w + ox) * p->out_c;
            for (ci = 0; ci < p->in_c; ++ci) {
                for (m = 0; m < p->depth_multiplier; ++m) {
                    const int32_t co = ci * p->depth_multiplier + m;
                    int32_t acc = p->bias ? p->bias[co] : 0;
                    int32_t ky, kx, y;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            acc += ((int32_t)input[(iy * p->in_w + ix) * p->in_c + ci] + p->input_offset) *
                                   (int32_t)p->weights[(ky * p->kernel_w + kx) * p->out_c + co];
                        }
                    }
                    y = m0nn_conv_requantize(p, acc, co) + p->output_offset;
                    y = y < p->act_min ? p->act_min : y;
                    y = y > p->act_max ? p->act_max : y;
                    out[co] = (int8_t)y;
                }
            }
        }
    }
    return M0NN_OK;
}
