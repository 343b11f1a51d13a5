#include "m0nn_internal.h"

/* The largest value of each window's taps inside the input (ONNX pads with -inf). */
m0nn_status_t m0nn_maxpool_s8(const m0nn_pool_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_pool_s8_check(p, input, output, 0);
    int32_t oy, ox, c, ky, kx;
    if (status != M0NN_OK) {
        return status;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t y0 = iy0 < 0 ? 0 : iy0;
        const int32_t y1 = iy0 + p->kernel_h > p->in_h ? p->in_h : iy0 + p->kernel_h;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            const int32_t x0 = ix0 < 0 ? 0 : ix0;
            const int32_t x1 = ix0 + p->kernel_w > p->in_w ? p->in_w : ix0 + p->kernel_w;
            int8_t *out = output + (oy * p->out_w + ox) * p->channels;
            for (c = 0; c < p->channels; ++c) {
                int32_t best = -128;
                for (ky = y0; ky < y1; ++ky) {
                    for (kx = x0; kx < x1; ++kx) {
                        const int32_t v = input[(ky * p->in_w + kx) * p->channels + c];
                        best = v > best ? v : best;
                    }
                }
                out[c] = (int8_t)best;
            }
        }
    }
    return M0NN_OK;
}
