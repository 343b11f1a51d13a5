#include "m0nn_internal.h"

/* The portable convolution: for each output position and channel, the taps
 * that fall inside the input (padding holds the zero point: it adds nothing). */
m0nn_status_t m0nn_conv_s8(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_conv_s8_check(p, input, output, 0);
    int32_t oy, ox, co;
    if (status != M0NN_OK) {
        return status;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            for (co = 0; co < p->out_c; ++co) {
                const int8_t *w = p->weights + co * p->kernel_h * p->kernel_w * p->in_c;
                int32_t acc = p->bias ? p->bias[co] : 0;
                int32_t ky, kx, ci, y;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t iy = iy0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t ix = ix0 + kx * p->dilation_w;
                        const int8_t *x = input + (iy * p->in_w + ix) * p->in_c;
                        const int8_t *wk = w + (ky * p->kernel_w + kx) * p->in_c;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        for (ci = 0; ci < p->in_c; ++ci) {
                            acc += ((int32_t)x[ci] + p->input_offset) * (int32_t)wk[ci];
                        }
                    }
                }
                y = m0nn_requantize_q31(acc, p->multiplier[co], p->shift[co]) + p->output_offset;
                y = y < p->act_min ? p->act_min : y;
                y = y > p->act_max ? p->act_max : y;
                output[(oy * p->out_w + ox) * p->out_c + co] = (int8_t)y;
            }
        }
    }
    return M0NN_OK;
}
