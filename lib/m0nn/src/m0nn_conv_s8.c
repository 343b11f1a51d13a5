#include "m0nn_internal.h"

/* Output (oy, ox, co) of the portable path: the taps that fall inside the input
 * (padding holds the zero point: it adds nothing). */
static int32_t conv_one(const m0nn_conv_s8_params_t *p, const int8_t *input, int32_t oy, int32_t ox, int32_t co)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const int8_t *w = p->weights + co * p->kernel_h * p->kernel_w * p->in_c;
    int32_t acc = p->bias ? p->bias[co] : 0;
    int32_t ky, kx, ci;
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
    return acc;
}

static void store(const m0nn_conv_s8_params_t *p, int8_t *out, int32_t co, int32_t acc)
{
    int32_t y = m0nn_requantize_q31(acc, p->multiplier[co], p->shift[co]) + p->output_offset;
    y = y < p->act_min ? p->act_min : y;
    y = y > p->act_max ? p->act_max : y;
    out[co] = (int8_t)y;
}

/* Two horizontally adjacent outputs whose windows lie inside the input share
 * every weight: their activations, offset-binary (u = x + 128, 0..255), are
 * packed as U = u0 | u1 << 16, and one multiply by the int8 weight gives
 * P = u0 w + (u1 w) << 16 exactly (|u w| <= 32385 < 2^15, so P fits int32).
 * S sums P modulo 2^32 and H sums (P + 2^15) >> 16 = u1 w (exact, as |u0 w| < 2^15);
 * the left output's sum is S - (H << 16). bias_u8[co] = bias + (input_offset - 128)
 * * sum(w) turns sum u w into the accumulator (the host computes it). */
static void conv_pair(const m0nn_conv_s8_params_t *p, const int8_t *input, int32_t oy, int32_t ox, uint32_t *packed,
                      int8_t *out0, int8_t *out1)
{
    const int32_t n = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const int32_t step = p->stride_w * p->in_c; /* from the left window to the right one */
    const int8_t *w = p->weights;
    int32_t ky, kx, ci, co, t = 0;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int8_t *x = input + ((iy0 + ky * p->dilation_h) * p->in_w + ix0 + kx * p->dilation_w) * p->in_c;
            for (ci = 0; ci < p->in_c; ++ci) {
                packed[t++] = (uint32_t)((int32_t)x[ci] + 128) | ((uint32_t)((int32_t)x[ci + step] + 128) << 16);
            }
        }
    }
    for (co = 0; co < p->out_c; ++co) {
        uint32_t s = 0;
        int32_t h = 0;
        const uint32_t *u = packed;
        const int8_t *wi = w;
        const int8_t *end = w + n - 1;
        for (; wi < end; wi += 2, u += 2) { /* two taps per pass */
            const int32_t p0 = (int32_t)u[0] * (int32_t)wi[0];
            const int32_t p1 = (int32_t)u[1] * (int32_t)wi[1];
            s += (uint32_t)p0 + (uint32_t)p1;
            h += ((p0 + 32768) >> 16) + ((p1 + 32768) >> 16);
        }
        if (wi == end) {
            const int32_t p0 = (int32_t)u[0] * (int32_t)wi[0];
            s += (uint32_t)p0;
            h += (p0 + 32768) >> 16;
        }
        w += n;
        store(p, out0, co, p->bias_u8[co] + (int32_t)(s - ((uint32_t)h << 16)));
        store(p, out1, co, p->bias_u8[co] + h);
    }
}

/* The portable convolution; with bias_u8 and a window of at most
 * M0NN_CONV_PAIR_TAPS values, pairs of outputs whose windows lie inside the
 * input take the two-products-per-multiply path (conv_pair). */
m0nn_status_t m0nn_conv_s8(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_conv_s8_check(p, input, output, 0);
    uint32_t packed[M0NN_CONV_PAIR_TAPS];
    int32_t oy, ox, co;
    int32_t pairs;
    if (status != M0NN_OK) {
        return status;
    }
    pairs = p->bias_u8 && p->kernel_h * p->kernel_w * p->in_c <= M0NN_CONV_PAIR_TAPS;
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t rows_inside = iy0 >= 0 && iy0 + (p->kernel_h - 1) * p->dilation_h < p->in_h;
        for (ox = 0; ox < p->out_w; ++ox) {
            int8_t *out = output + (oy * p->out_w + ox) * p->out_c;
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            if (pairs && rows_inside && ox + 1 < p->out_w && ix0 >= 0 &&
                ix0 + p->stride_w + (p->kernel_w - 1) * p->dilation_w < p->in_w) {
                conv_pair(p, input, oy, ox, packed, out, out + p->out_c);
                ++ox;
                continue;
            }
            for (co = 0; co < p->out_c; ++co) {
                store(p, out, co, conv_one(p, input, oy, ox, co));
            }
        }
    }
    return M0NN_OK;
}
