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

static inline void store(const m0nn_conv_s8_params_t *p, int8_t *out, int32_t co, int32_t acc)
{
    out[co] = (int8_t)m0nn_offset_clamp(m0nn_conv_requantize(p, acc, co), p->output_offset, p->act_min, p->act_max);
}

/* The requantization and stores of conv_pair for M0NN_REQUANT_MUL32 (the
 * generator's usual choice), with every constant in a local. */
static void store_pairs_mul32(const m0nn_conv_s8_params_t *p, int32_t co, int32_t chunk, const int32_t *dots,
                              int32_t sum0, int32_t sum1, int8_t *out0, int8_t *out1)
{
    const int32_t *bias = p->bias_u8 + co;
    const int32_t *mult = p->multiplier + co;
    const int32_t *shift = p->shift + co;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t c;
    out0 += co;
    for (c = 0; c < chunk; ++c) {
        const int32_t right = -shift[c];
        const int32_t round = (int32_t)(1u << (right - 1));
        int32_t y0 = ((bias[c] + dots[2 * c] - sum0) * mult[c] + round) >> right;
        y0 += offset;
        y0 = y0 < lo ? lo : y0 > hi ? hi : y0;
        out0[c] = (int8_t)y0;
        if (out1) {
            int32_t y1 = ((bias[c] + dots[2 * c + 1] - sum1) * mult[c] + round) >> right;
            y1 += offset;
            y1 = y1 < lo ? lo : y1 > hi ? hi : y1;
            out1[co + c] = (int8_t)y1;
        }
    }
}

/* Two horizontally adjacent outputs share every weight: their activations,
 * offset-binary (u = x + 128), are packed in two 16-bit lanes and
 * m0nn_conv_pair_dot multiplies both by each biased weight v = w + 128 at once.
 * A tap in the padding is packed as the zero point (u = 128 - input_offset),
 * which adds nothing, so borders take this path too; a last odd column packs
 * its missing right neighbour likewise and drops it. With bias_u8 = bias +
 * (input_offset - 128) * sum w from the host, acc = bias_u8 + sum u v - 128 sum u. */
static void conv_pair(const m0nn_conv_s8_params_t *p, const int8_t *input, int32_t oy, int32_t ox, uint32_t *packed,
                      int8_t *out0, int8_t *out1)
{
    const int32_t n = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const uint32_t pad = (uint32_t)(128 - p->input_offset);
    int32_t dots[2 * M0NN_CONV_PAIR_CHANNELS];
    int32_t ky, kx, ci, co, t = 0;
    int32_t sum0 = 0, sum1 = 0;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        const int32_t row = iy >= 0 && iy < p->in_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ixa = ix0 + kx * p->dilation_w;
            const int32_t ixb = ixa + p->stride_w;
            const int32_t in_a = row && ixa >= 0 && ixa < p->in_w;
            const int32_t in_b = row && out1 && ixb >= 0 && ixb < p->in_w;
            const int8_t *xa = in_a ? input + (iy * p->in_w + ixa) * p->in_c : input; /* no pointer outside */
            const int8_t *xb = in_b ? input + (iy * p->in_w + ixb) * p->in_c : input;
            for (ci = 0; ci < p->in_c; ++ci) {
                const uint32_t u0 = in_a ? (uint32_t)((int32_t)xa[ci] + 128) : pad;
                const uint32_t u1 = in_b ? (uint32_t)((int32_t)xb[ci] + 128) : pad;
                packed[t++] = u0 | (u1 << 16);
                sum0 += (int32_t)u0;
                sum1 += (int32_t)u1;
            }
        }
    }
    sum0 *= 128;
    sum1 *= 128;
    for (co = 0; co < p->out_c; co += M0NN_CONV_PAIR_CHANNELS) {
        const int32_t chunk = p->out_c - co < M0NN_CONV_PAIR_CHANNELS ? p->out_c - co : M0NN_CONV_PAIR_CHANNELS;
        int32_t c;
        m0nn_conv_pair_dot(packed, p->weights_u8 + co * n, n, chunk, dots);
        if (p->requant == M0NN_REQUANT_MUL32) {
            store_pairs_mul32(p, co, chunk, dots, sum0, sum1, out0, out1);
            continue;
        }
        for (c = 0; c < chunk; ++c) {
            store(p, out0, co + c, p->bias_u8[co + c] + dots[2 * c] - sum0);
            if (out1) {
                store(p, out1, co + c, p->bias_u8[co + c] + dots[2 * c + 1] - sum1);
            }
        }
    }
}

/* The portable convolution; with bias_u8, weights_u8 and a window of at most
 * M0NN_CONV_PAIR_TAPS values, outputs are computed in pairs (conv_pair). */
m0nn_status_t m0nn_conv_s8(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_conv_s8_check(p, input, output, 0);
    uint32_t packed[M0NN_CONV_PAIR_TAPS];
    int32_t oy, ox, co;
    if (status != M0NN_OK) {
        return status;
    }
    if (p->bias_u8 && p->weights_u8 && p->kernel_h * p->kernel_w * p->in_c <= M0NN_CONV_PAIR_TAPS) {
        for (oy = 0; oy < p->out_h; ++oy) {
            for (ox = 0; ox < p->out_w; ox += 2) {
                int8_t *out = output + (oy * p->out_w + ox) * p->out_c;
                conv_pair(p, input, oy, ox, packed, out, ox + 1 < p->out_w ? out + p->out_c : (int8_t *)0);
            }
        }
        return M0NN_OK;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            int8_t *out = output + (oy * p->out_w + ox) * p->out_c;
            for (co = 0; co < p->out_c; ++co) {
                store(p, out, co, conv_one(p, input, oy, ox, co));
            }
        }
    }
    return M0NN_OK;
}
