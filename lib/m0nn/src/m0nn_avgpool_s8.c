#include "m0nn_internal.h"

/* Average of each window's taps inside the input: exact TFLite rounding by a
 * host-checked reciprocal (no divider on the M0), or rescaled to the output's
 * own scale with one q31 requantization per window count. */
m0nn_status_t m0nn_avgpool_s8(const m0nn_pool_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_pool_s8_check(p, input, output, 1);
    const int32_t c_n = p->channels;
    int32_t oy, ox, c, ky, kx;
    if (status != M0NN_OK) {
        return status;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const m0nn_span_t ys = m0nn_pool_span(oy * p->stride_h - p->pad_top, p->kernel_h, p->in_h);
        for (ox = 0; ox < p->out_w; ++ox) {
            const m0nn_span_t xs = m0nn_pool_span(ox * p->stride_w - p->pad_left, p->kernel_w, p->in_w);
            const int32_t inside = (ys.hi - ys.lo) * (xs.hi - xs.lo);
            const int32_t count = p->count_include_pad ? p->kernel_h * p->kernel_w : inside;
            const int32_t first = (ys.lo * p->in_w + xs.lo) * c_n;  /* the first tap inside */
            const int32_t skip = (p->in_w - (xs.hi - xs.lo)) * c_n; /* from past a row's taps to the next */
            for (c = 0; c < c_n; ++c) {
                int32_t total = p->input_offset * inside, at = first + c;
                int32_t y;
                for (ky = ys.lo; ky < ys.hi; ++ky, at += skip) {
                    for (kx = xs.lo; kx < xs.hi; ++kx, at += c_n) {
                        total += input[at];
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
                *output++ = (int8_t)y;
            }
        }
    }
    return M0NN_OK;
}
