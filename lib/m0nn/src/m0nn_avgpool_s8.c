#include "m0nn_internal.h"

/* Average of each window's taps inside the input: exact TFLite rounding by a
 * host-checked reciprocal (no divider on the M0), or rescaled to the output's
 * own scale with one q31 requantization per window count. */
m0nn_status_t m0nn_avgpool_s8(const m0nn_pool_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_pool_s8_check(p, input, output, 1);
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
            const int32_t count = p->count_include_pad ? p->kernel_h * p->kernel_w : (y1 - y0) * (x1 - x0);
            int8_t *out = output + (oy * p->out_w + ox) * p->channels;
            for (c = 0; c < p->channels; ++c) {
                int32_t total = 0;
                int32_t y;
                for (ky = y0; ky < y1; ++ky) {
                    for (kx = x0; kx < x1; ++kx) {
                        total += (int32_t)input[(ky * p->in_w + kx) * p->channels + c] + p->input_offset;
                    }
                }
                if (p->multiplier) {
                    y = m0nn_offset_clamp(
                        m0nn_requantize_q31(total * (1 << p->pre_shift), p->multiplier[count - 1], p->shift[count - 1]),
                        p->output_offset, -128, 127);
                } else {
                    const uint32_t mag = (uint32_t)(total < 0 ? -total : total) + ((uint32_t)count >> 1);
                    const int32_t avg = (int32_t)((mag * p->recip_mult[count - 1]) >> p->recip_shift[count - 1]);
                    y = (total < 0 ? -avg : avg) - p->input_offset;
                }
                y = y < -128 ? -128 : y;
                y = y > 127 ? 127 : y;
                out[c] = (int8_t)y;
            }
        }
    }
    return M0NN_OK;
}
