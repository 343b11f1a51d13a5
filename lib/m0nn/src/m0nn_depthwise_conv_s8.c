#include "m0nn_internal.h"

/* Depthwise convolution: output channel ci * depth_multiplier + m reads input
 * channel ci only; weights [kernel_h][kernel_w][out_c]. Per output position the
 * taps inside the input are found once (ky0..ky1, kx0..kx1, so no test per
 * tap and channel), then each channel walks them with pointers. */
/* Depth multiplier 1 and at most M0NN_CONV_PAIR_CHANNELS channels: per output
 * position, the taps inside the input outermost and the channels innermost, where
 * input, weights and accumulators are all contiguous (channels-last). */
static void depthwise_channels_inner(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t c_n = p->out_c, offset = p->input_offset;
    const int32_t lo = p->act_min, hi = p->act_max, out_offset = p->output_offset;
    int32_t acc[M0NN_CONV_PAIR_CHANNELS];
    int32_t oy, ox, ky, kx, c;
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *out = output + (oy * p->out_w + ox) * c_n;
            for (c = 0; c < c_n; ++c) {
                acc[c] = p->bias ? p->bias[c] : 0;
            }
            for (ky = 0; ky < p->kernel_h; ++ky) {
                const int32_t iy = iy0 + ky * p->dilation_h;
                if (iy < 0 || iy >= p->in_h) {
                    continue;
                }
                for (kx = 0; kx < p->kernel_w; ++kx) {
                    const int32_t ix = ix0 + kx * p->dilation_w;
                    const int8_t *x;
                    const int8_t *w;
                    if (ix < 0 || ix >= p->in_w) {
                        continue;
                    }
                    x = input + (iy * p->in_w + ix) * c_n;
                    w = p->weights + (ky * p->kernel_w + kx) * c_n;
                    for (c = 0; c < c_n; ++c) {
                        acc[c] += ((int32_t)x[c] + offset) * (int32_t)w[c];
                    }
                }
            }
            for (c = 0; c < c_n; ++c) {
                int32_t y = m0nn_conv_requantize(p, acc[c], c) + out_offset;
                y = y < lo ? lo : y;
                out[c] = (int8_t)(y > hi ? hi : y);
            }
        }
    }
}

m0nn_status_t m0nn_depthwise_conv_s8(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_conv_s8_check(p, input, output, 1);
    const int32_t row_x = p->dilation_h * p->in_w * p->in_c; /* input step from tap row to tap row */
    const int32_t col_x = p->dilation_w * p->in_c;
    const int32_t row_w = p->kernel_w * p->out_c; /* weight step from tap row to tap row */
    const int32_t offset = p->input_offset, out_c = p->out_c, mult = p->depth_multiplier;
    const int32_t lo = p->act_min, hi = p->act_max, out_offset = p->output_offset;
    int32_t oy, ox, ci, m;
    if (status != M0NN_OK) {
        return status;
    }
    if (mult == 1 && out_c <= M0NN_CONV_PAIR_CHANNELS) {
        depthwise_channels_inner(p, input, output);
        return M0NN_OK;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky0 = 0, ky1 = p->kernel_h;
        while (ky0 < ky1 && iy0 + ky0 * p->dilation_h < 0) {
            ++ky0;
        }
        while (ky1 > ky0 && iy0 + (ky1 - 1) * p->dilation_h >= p->in_h) {
            --ky1;
        }
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *out = output + (oy * p->out_w + ox) * p->out_c;
            int32_t kx0 = 0, kx1 = p->kernel_w;
            while (kx0 < kx1 && ix0 + kx0 * p->dilation_w < 0) {
                ++kx0;
            }
            while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dilation_w >= p->in_w) {
                --kx1;
            }
            for (ci = 0; ci < p->in_c; ++ci) {
                /* first tap inside the input, for this channel (only formed when one exists) */
                const int8_t *x0 =
                    ky0 < ky1 && kx0 < kx1
                        ? input + ((iy0 + ky0 * p->dilation_h) * p->in_w + ix0 + kx0 * p->dilation_w) * p->in_c + ci
                        : input;
                for (m = 0; m < mult; ++m) {
                    const int32_t co = ci * mult + m;
                    const int8_t *w0 = p->weights + (ky0 * p->kernel_w + kx0) * out_c + co;
                    int32_t acc = p->bias ? p->bias[co] : 0;
                    int32_t ky, kx, y;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *x = x0 + (ky - ky0) * row_x;
                        const int8_t *w = w0 + (ky - ky0) * row_w;
                        for (kx = kx0; kx < kx1; ++kx) {
                            acc += ((int32_t)*x + offset) * (int32_t)*w;
                            x += col_x;
                            w += out_c;
                        }
                    }
                    y = m0nn_conv_requantize(p, acc, co) + out_offset;
                    y = y < lo ? lo : y;
                    y = y > hi ? hi : y;
                    out[co] = (int8_t)y;
                }
            }
        }
    }
    return M0NN_OK;
}
