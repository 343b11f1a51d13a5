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
                out[c] = (int8_t)m0nn_offset_clamp(m0nn_conv_requantize(p, acc[c], c), out_offset, lo, hi);
            }
        }
    }
}

/* Depth multiplier 1, 3x3 or 1x3, stride_w 1, no dilation, with the host's lane tables
 * (m0nn.graph.dw_lanes): per tile of at most 2 * M0NN_DW3X3_PAIRS output columns and
 * band of output rows, m0nn_dw3x3_channels packs each channel's plane (m0nn_internal.h:
 * word j = (x[j] + 129) + x[j + 1] 2^16, padding the zero point), leaves S and H per
 * pair of outputs, and acc0 = S - (H << 16) + B0, acc1 = H + B1 with the host's B0, B1
 * (lane_consts; the weights' bytes in lane_weights); MUL32 layers are requantized,
 * clamped and stored in the same call for all channels, Q31 and SHIFT ones in C
 * between calls of one channel each. Stack: M0NN_DW_BAND_ROWS * M0NN_DW_ROW words
 * of plane. */
#define M0NN_DW3X3_PAIRS ((M0NN_DW_ROW - 1) >> 1)
#define M0NN_DW_BAND_ROWS 10

static int32_t dw3x3_shape(const m0nn_conv_s8_params_t *p)
{
    return p->depth_multiplier == 1 && p->kernel_w == 3 && p->stride_w == 1 && p->dilation_w == 1 &&
           (p->kernel_h == 1 || (p->kernel_h == 3 && p->dilation_h == 1));
}

/* Q31 and SHIFT: the sums of one band requantized in C. */
static void dw3x3_store(const m0nn_conv_s8_params_t *p, int32_t c, uint32_t b0, uint32_t b1, const uint32_t *q,
                        int32_t rows, int32_t n, int8_t *out)
{
    const int32_t c_n = p->out_c, offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t r, i;
    for (r = 0; r < rows; ++r, q += p->stride_h * M0NN_DW_ROW, out += p->out_w * c_n) {
        for (i = 0; i < n; ++i) {
            const uint32_t s = q[i & ~1], h = q[i | 1];
            const int32_t acc = (int32_t)((i & 1) ? h + b1 : s - (h << 16) + b0);
            out[i * c_n] = (int8_t)m0nn_offset_clamp(m0nn_conv_requantize(p, acc, c), offset, lo, hi);
        }
    }
}

/* The fast path (dw3x3_shape and lane tables). Per tile and band the geometry is
 * set once and the band filled with the zero point's word; the plane rows the
 * sums overwrite and packing does not rewrite are padded again per channel (the
 * job's fill bits). */
static __attribute__((noinline)) void depthwise_3x3(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    uint32_t q[M0NN_DW_BAND_ROWS * M0NN_DW_ROW];
    m0nn_dw_job_t job;
    const int32_t c_n = p->out_c, sh = p->stride_h, off = p->input_offset;
    const uint32_t pad = (uint32_t)(129 - off) + ((uint32_t)-off << 16);
    const int32_t kh = p->kernel_h;
    int32_t band = 1, c, tx, oy0;
    while (band < p->out_h && band * sh + kh <= M0NN_DW_BAND_ROWS) {
        ++band; /* output rows per band (no division on the M0) */
    }
    job.plane = q + 1; /* W(0) */
    job.row_step = 4 * sh * M0NN_DW_ROW;
    job.kernel_h = kh;
    job.row_in = p->in_w * c_n;
    job.step = c_n;
    job.pad_lo = (uint32_t)(129 - off);
    job.pad_hi = (uint32_t)-off << 16;
    job.requant = p->requant == M0NN_REQUANT_MUL32;
    job.out_step = c_n;
    job.d = p->output_offset - p->act_min;
    job.span = p->act_max - p->act_min;
    job.lo = p->act_min;
    job.lower = p->act_min >= p->output_offset; /* a fused ReLU: half the outputs clamp below */
    for (tx = 0; tx < p->out_w; tx += 2 * M0NN_DW3X3_PAIRS) {
        const int32_t n = p->out_w - tx < 2 * M0NN_DW3X3_PAIRS ? p->out_w - tx : 2 * M0NN_DW3X3_PAIRS;
        const int32_t ix0 = tx - p->pad_left, width = 2 * ((n + 1) >> 1) + 1;
        /* values k = 0 .. width (column ix0 + k), those in [ka, kb) inside the input */
        const int32_t ka = ix0 < 0 ? (-ix0 < width + 1 ? -ix0 : width + 1) : 0;
        const int32_t kb0 = p->in_w - ix0 < width + 1 ? p->in_w - ix0 : width + 1;
        const int32_t kb = kb0 < ka ? ka : kb0;
        job.pairs = (n + 1) >> 1;
        job.out_skip = (p->out_w - n) * c_n;
        job.odd = n & 1;
        job.n = kb - ka;
        job.tail = kb <= width;
        for (oy0 = 0; oy0 < p->out_h; oy0 += band) {
            const int32_t iy0 = oy0 * sh - p->pad_top;
            const int32_t rows_out = p->out_h - oy0 < band ? p->out_h - oy0 : band;
            const int32_t rows = (rows_out - 1) * sh + kh;
            const int32_t r0 = iy0 < 0 ? (-iy0 < rows ? -iy0 : rows) : 0;
            const int32_t r1a = p->in_h - iy0 < rows ? p->in_h - iy0 : rows;
            const int32_t r1 = ka < kb && r1a > r0 ? r1a : r0; /* [r0, r1): rows packed from the input */
            /* packed rows whose overwritten words W(0) .. W(2 pairs - 1) packing does not all rewrite */
            const int32_t edges = ka > 1 || kb < 2 * job.pairs;
            int8_t *out = output + (oy0 * p->out_w + tx) * c_n;
            int32_t r, k;
            job.rows = rows_out;
            job.weights = p->lane_weights;
            job.pk_rows = r1 - r0;
            job.pk_plane = q + r0 * M0NN_DW_ROW + ka; /* W(ka - 1) */
            job.x = r1 > r0 ? input + ((iy0 + r0) * p->in_w + ix0 + ka) * c_n : input;
            job.fill = 0;
            for (r = 0; r < rows_out * sh; r += sh) { /* the rows the sums overwrite */
                job.fill |= (uint32_t)(r < r0 || r >= r1 || edges) << r;
            }
            job.dirty = 0;
            for (k = 0; k < rows * M0NN_DW_ROW; k += 2) {
                q[k] = pad;
                q[k + 1] = pad;
            }
            if (job.requant) {
                job.channels = c_n;
                job.consts = p->lane_consts;
                job.mult = p->multiplier;
                job.shift = p->shift;
                job.out = out;
                m0nn_dw3x3_channels(&job);
                continue;
            }
            for (c = 0; c < c_n; ++c) {
                job.channels = 1;
                m0nn_dw3x3_channels(&job);
                dw3x3_store(p, c, (uint32_t)p->lane_consts[2 * c], (uint32_t)p->lane_consts[2 * c + 1], q + 1, rows_out,
                            n, out + c);
            }
        }
    }
}

/* Depth multiplier 1, one channel at a time, two horizontally adjacent outputs
 * per multiply: the channel's plane (a band of rows at a time, padding
 * included) is packed once as words q[r][j] = u(r, j) | u(r, j + stride_w) << 16
 * of offset-binary activations u = x + 128 (a tap in the padding holds the zero
 * point, u = 128 - input_offset, which adds nothing), and each of the channel's
 * taps, v = w + 128, stays in a local for the whole plane. Per tap and pair:
 * P = q v, S += P, H += P >> 16 (the right output's sum, exact as u v < 2^16),
 * T += q (both outputs' sums of u); then acc = bias + (input_offset - 128) sum w
 * + sum u v - 128 sum u, as m0nn_conv_s8's pairs. A last odd column packs a
 * neighbour it drops. 3x3 kernels (no column dilation) take m0nn_dw3x3_pairs (ARMv6-M
 * assembly). Stack: 160 words of scratch. */
#define M0NN_DW_TAPS 16
#define M0NN_DW_PAIRS 16
#define M0NN_DW_PLANE_WORDS 96

static void dw_pack_rows(const m0nn_conv_s8_params_t *p, const int8_t *input, int32_t c, int32_t r0, int32_t rows,
                         int32_t width, uint32_t *q)
{
    const uint32_t pad = (uint32_t)(128 - p->input_offset);
    const int32_t c_n = p->in_c, sw = p->stride_w;
    int32_t r, j;
    for (r = r0; r < r0 + rows; ++r) {
        const int32_t iy = r - p->pad_top;
        if (iy < 0 || iy >= p->in_h) {
            for (j = 0; j < width; ++j) {
                *q++ = pad | (pad << 16);
            }
            continue;
        }
        {
            const int8_t *x = input + iy * p->in_w * c_n + c;
            /* columns [ja, jb) have both neighbours inside the input: no tests */
            const int32_t ja = p->pad_left < width ? p->pad_left : width;
            int32_t jb = p->pad_left + p->in_w - sw;
            jb = jb > width ? width : jb < ja ? ja : jb;
            for (j = 0; j < width; ++j) {
                const int32_t ix = j - p->pad_left;
                uint32_t u0, u1;
                if (j == ja && ja < jb) {
                    const int8_t *xa = x + ix * c_n;
                    const int8_t *xb = xa + sw * c_n;
                    for (; j < jb; ++j) {
                        *q++ = (uint32_t)((int32_t)*xa + 128) | ((uint32_t)((int32_t)*xb + 128) << 16);
                        xa += c_n;
                        xb += c_n;
                    }
                    --j;
                    continue;
                }
                u0 = ix >= 0 && ix < p->in_w ? (uint32_t)((int32_t)x[ix * c_n] + 128) : pad;
                u1 = ix + sw >= 0 && ix + sw < p->in_w ? (uint32_t)((int32_t)x[(ix + sw) * c_n] + 128) : pad;
                *q++ = u0 | (u1 << 16);
            }
        }
    }
}

static int8_t *dw_store_row(const m0nn_conv_s8_params_t *p, int32_t c, uint32_t bias, const int32_t *dots, int32_t n,
                            int8_t *out)
{
    const int32_t c_n = p->out_c, offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t i;
    if (p->requant == M0NN_REQUANT_MUL32) {
        const int32_t m = p->multiplier[c], right = -p->shift[c];
        const int32_t round = (int32_t)(1u << (right - 1));
        for (i = 0; i < n; ++i, out += c_n) {
            int32_t y = (((int32_t)(bias + (uint32_t)dots[i])) * m + round) >> right;
            y += offset;
            y = y < lo ? lo : y > hi ? hi : y;
            *out = (int8_t)y;
        }
        return out;
    }
    for (i = 0; i < n; ++i, out += c_n) {
        *out =
            (int8_t)m0nn_offset_clamp(m0nn_conv_requantize(p, (int32_t)(bias + (uint32_t)dots[i]), c), offset, lo, hi);
    }
    return out;
}

/* Returns 0 (nothing written) when a band of one output row does not fit. */
static int32_t depthwise_planes(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t taps = p->kernel_h * p->kernel_w, c_n = p->out_c;
    const int32_t pairs = (p->out_w + 1) / 2;
    const int32_t width = (2 * pairs - 2) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1;
    const int32_t span = (p->kernel_h - 1) * p->dilation_h + 1; /* packed rows of one output row */
    uint32_t q[M0NN_DW_PLANE_WORDS];
    int32_t tap_at[M0NN_DW_TAPS];
    uint32_t v[M0NN_DW_TAPS];
    int32_t dots[2 * M0NN_DW_PAIRS];
    const int32_t fast3x3 = p->kernel_h == 3 && p->kernel_w == 3 && p->dilation_w == 1;
    int32_t band, c, k, oy0, oy, pr;
    if (p->depth_multiplier != 1 || taps > M0NN_DW_TAPS || span * width > M0NN_DW_PLANE_WORDS) {
        return 0;
    }
    band = 1; /* output rows per band (no division on the M0) */
    while ((band * p->stride_h + span) * width <= M0NN_DW_PLANE_WORDS && band < p->out_h) {
        ++band;
    }
    for (k = 0, oy = 0; oy < p->kernel_h; ++oy) {
        for (pr = 0; pr < p->kernel_w; ++pr) {
            tap_at[k++] = oy * p->dilation_h * width + pr * p->dilation_w;
        }
    }
    for (c = 0; c < c_n; ++c) {
        int32_t sum_w = 0;
        uint32_t bias;
        for (k = 0; k < taps; ++k) {
            const int32_t w = p->weights[k * c_n + c];
            v[k] = (uint32_t)(w + 128);
            sum_w += w;
        }
        bias = (uint32_t)(p->bias ? p->bias[c] : 0) + (uint32_t)((p->input_offset - 128) * sum_w);
        for (oy0 = 0; oy0 < p->out_h; oy0 += band) {
            const int32_t rows_out = p->out_h - oy0 < band ? p->out_h - oy0 : band;
            dw_pack_rows(p, input, c, oy0 * p->stride_h, (rows_out - 1) * p->stride_h + span, width, q);
            for (oy = 0; oy < rows_out; ++oy) {
                const uint32_t *row = q + oy * p->stride_h * width;
                int8_t *out = output + ((oy0 + oy) * p->out_w) * c_n + c;
                int32_t done = 0;
                while (done < pairs) {
                    const int32_t n = pairs - done < M0NN_DW_PAIRS ? pairs - done : M0NN_DW_PAIRS;
                    const uint32_t *win = row + 2 * done * p->stride_w;
                    if (fast3x3) {
                        m0nn_dw3x3_pairs(win, p->dilation_h * width, v, n, 2 * p->stride_w, dots);
                    } else {
                        for (pr = 0; pr < n; ++pr, win += 2 * p->stride_w) {
                            uint32_t s = 0, h = 0, t = 0;
                            for (k = 0; k < taps; ++k) {
                                const uint32_t u = win[tap_at[k]];
                                const uint32_t prod = u * v[k];
                                s += prod;
                                h += prod >> 16;
                                t += u;
                            }
                            dots[2 * pr] = (int32_t)(s - (h << 16) - ((t & 0xffffu) << 7));
                            dots[2 * pr + 1] = (int32_t)(h - ((t >> 16) << 7));
                        }
                    }
                    /* the last pair of an odd row drops its right output */
                    out = dw_store_row(p, c, bias, dots, 2 * done + 2 * n <= p->out_w ? 2 * n : 2 * n - 1, out);
                    done += n;
                }
            }
        }
    }
    return 1;
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
    if (p->lane_consts && p->lane_weights && dw3x3_shape(p)) {
        depthwise_3x3(p, input, output);
        return M0NN_OK;
    }
    if (!p->weights) { /* lane tables of another shape */
        return M0NN_ERR_NULL;
    }
    if (depthwise_planes(p, input, output)) {
        return M0NN_OK;
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
                    int32_t ky, kx;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *x = x0 + (ky - ky0) * row_x;
                        const int8_t *w = w0 + (ky - ky0) * row_w;
                        for (kx = kx0; kx < kx1; ++kx) {
                            acc += ((int32_t)*x + offset) * (int32_t)*w;
                            x += col_x;
                            w += out_c;
                        }
                    }
                    out[co] = (int8_t)m0nn_offset_clamp(m0nn_conv_requantize(p, acc, co), out_offset, lo, hi);
                }
            }
        }
    }
    return M0NN_OK;
}
