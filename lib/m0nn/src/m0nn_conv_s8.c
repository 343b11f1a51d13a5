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

#if defined(__GNUC__) || defined(__clang__)
typedef uint32_t __attribute__((may_alias)) word_t;
#define M0NN_CONV_WORDS 1
#else
#define M0NN_CONV_WORDS 0
#endif

/* n segments of c bytes, col apart in the band, from consecutive input
 * positions: offset-binary, by word where c is a multiple of 4 and the input
 * 4-byte aligned (the band is). */
static void copy_segments(uint8_t *d, const int8_t *src, int32_t n, int32_t c, int32_t col)
{
    int32_t i;
#if M0NN_CONV_WORDS
    if ((c & 3) == 0 && ((uintptr_t)src & 3u) == 0) {
        for (; n > 0; --n, d += col, src += c) {
            for (i = 0; i < c; i += 4) {
                *(word_t *)(void *)(d + i) = *(const word_t *)(const void *)(src + i) ^ 0x80808080u;
            }
        }
        return;
    }
#endif
    for (; n > 0; --n, d += col, src += c) {
        for (i = 0; i < c; ++i) {
            d[i] = (uint8_t)((uint8_t)src[i] ^ 0x80u);
        }
    }
}

/* n segments of c bytes of padding (the input zero point), col apart. */
static void pad_segments(const m0nn_conv_s8_params_t *p, uint8_t *d, int32_t n, int32_t c, int32_t col)
{
    const uint8_t pad = (uint8_t)(128 - p->input_offset);
    int32_t i;
    for (; n > 0; --n, d += col) {
        for (i = 0; i < c; ++i) {
            d[i] = pad;
        }
    }
}

/* `count` band columns of kernel_h segments of in_c bytes (band[col][ky][ci]):
 * input columns ix, ix + step, ... of the rows of output row oy,
 * offset-binary, padding as the zero point; row by row. */
static void fill_columns(const m0nn_conv_s8_params_t *p, const int8_t *input, uint8_t *band, int32_t oy, int32_t ix,
                         int32_t count, int32_t step)
{
    const int32_t c = p->in_c;
    const int32_t col = p->kernel_h * c;
    int32_t ky, iy, j, lo, hi;
    for (ky = 0, iy = oy * p->stride_h - p->pad_top; ky < p->kernel_h; ++ky, iy += p->dilation_h, band += c) {
        if (iy < 0 || iy >= p->in_h) {
            pad_segments(p, band, count, c, col);
        } else if (step == 1) { /* padding, inside columns [lo, hi), padding */
            lo = ix < 0 ? (-ix < count ? -ix : count) : 0;
            hi = p->in_w - ix < count ? p->in_w - ix : count;
            hi = hi < lo ? lo : hi;
            pad_segments(p, band, lo, c, col);
            copy_segments(band + lo * col, input + (iy * p->in_w + ix + lo) * c, hi - lo, c, col);
            pad_segments(p, band + hi * col, count - hi, c, col);
        } else {
            for (j = 0; j < count; ++j) {
                const int32_t x = ix + j * step;
                if (x < 0 || x >= p->in_w) {
                    pad_segments(p, band + j * col, 1, c, col);
                } else {
                    copy_segments(band + j * col, input + (iy * p->in_w + x) * c, 1, c, col);
                }
            }
        }
    }
}

/* The windows of outputs ox0 .. ox0 + n - 1 of output row oy as contiguous
 * runs in a band inside `scratch` (m0nn.graph.lanes), returned, with the bytes
 * between windows in *step: without column dilation the columns the windows
 * span, once each (stride_w columns apart); with it each window in turn. With
 * kernel_h 1 the columns inside the input are one piece of an input row,
 * copied at once, by word: the band starts 0-3 bytes into the scratch so that
 * it lines up with the input. */
static uint8_t *fill_band(const m0nn_conv_s8_params_t *p, const int8_t *input, uint8_t *scratch, int32_t oy,
                          int32_t ox0, int32_t n, int32_t *step)
{
    const int32_t col = p->kernel_h * p->in_c;
    const int32_t ix0 = ox0 * p->stride_w - p->pad_left;
    const int32_t columns = (n - 1) * p->stride_w + p->kernel_w;
    const int32_t iy = oy * p->stride_h - p->pad_top;
    int32_t j, left, right, inside;
    uint8_t *band;
    if (p->dilation_w > 1) {
        for (j = 0; j < n; ++j) {
            fill_columns(p, input, scratch + j * p->kernel_w * col, oy, ix0 + j * p->stride_w, p->kernel_w,
                         p->dilation_w);
        }
        *step = p->kernel_w * col;
        return scratch;
    }
    *step = p->stride_w * col;
    left = ix0 < 0 ? -ix0 : 0; /* padding columns, then inside columns, then padding */
    left = left < columns ? left : columns;
    inside = (ix0 + columns < p->in_w ? ix0 + columns : p->in_w) - (ix0 + left);
    if (p->kernel_h > 1 || iy < 0 || iy >= p->in_h || inside < 1) {
        fill_columns(p, input, scratch, oy, ix0, columns, 1);
        return scratch;
    }
    right = columns - left - inside;
    band = scratch + (((uintptr_t)input + (uintptr_t)(iy * p->in_w + ix0 + left) * (uintptr_t)col -
                       ((uintptr_t)scratch + (uintptr_t)(left * col))) &
                      3u);
    m0nn_to_offset_binary(input + (iy * p->in_w + ix0 + left) * col, band + left * col, inside * col);
    pad_segments(p, band, 1, left * col, 0);
    pad_segments(p, band + (left + inside) * col, 1, right * col, 0);
    return band;
}

/* The fast path (lane_consts, lane_weights): per output row and tile of
 * lane_consts[0] outputs, the band, then m0nn_conv_lanes per block of 8
 * channels over the tile; a last block of fewer channels, and Q31 and SHIFT
 * (requantized here), window by window. */
static m0nn_status_t conv_lanes(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t col = p->kernel_h * p->in_c;
    const int32_t len = p->kernel_w * col;
    const int32_t tile = p->lane_consts[0];
    const int32_t blocks = (p->out_c + 7) >> 3;
    const int32_t last_rows = p->out_c - 8 * (blocks - 1);
    union {
        uint32_t words[M0NN_CONV_SCRATCH / 4 + 1];
        uint8_t bytes[M0NN_CONV_SCRATCH + 4];
    } scratch;
    int32_t acc[8];
    int8_t tmp[8];
    m0nn_conv_job_t job;
    int32_t ox0, oy, b, j, r;
    if (tile < 1 || tile > p->out_w || len > M0NN_CONV_SCRATCH ||
        (p->dilation_w > 1 ? tile * len : ((tile - 1) * p->stride_w + p->kernel_w) * col) > M0NN_CONV_SCRATCH) {
        return M0NN_ERR_SIZE;
    }
    job.len = len;
    job.offset_minus_min = p->output_offset - p->act_min;
    job.span = p->act_max - p->act_min;
    job.act_min = p->act_min;
    job.lower = p->act_min >= p->output_offset; /* a fused ReLU: half the outputs clamp below */
    for (ox0 = 0; ox0 < p->out_w; ox0 += tile) {
        const int32_t n = p->out_w - ox0 < tile ? p->out_w - ox0 : tile;
        for (oy = 0; oy < p->out_h; ++oy) {
            int8_t *out = output + (oy * p->out_w + ox0) * p->out_c;
            const uint8_t *band = fill_band(p, input, scratch.bytes, oy, ox0, n, &job.step);
            for (b = 0; b < blocks; ++b) {
                const int32_t rows = b == blocks - 1 ? last_rows : 8;
                job.width = rows <= 4 ? 4 : 8;
                job.weights = p->lane_weights + 4 * len * b;
                job.consts = p->lane_consts + 1 + 24 * b;
                if (p->requant == M0NN_REQUANT_MUL32 && rows == job.width) {
                    job.window = band;
                    job.positions = n;
                    job.output = out + 8 * b;
                    job.out_step = p->out_c;
                    job.acc = (int32_t *)0;
                    m0nn_conv_lanes(&job);
                    continue;
                }
                job.positions = 1; /* a partial block, Q31, SHIFT: window by window */
                for (j = 0; j < n; ++j) {
                    job.window = band + j * job.step;
                    job.output = tmp;
                    job.acc = p->requant == M0NN_REQUANT_MUL32 ? (int32_t *)0 : acc;
                    m0nn_conv_lanes(&job);
                    for (r = 0; r < rows; ++r) {
                        if (job.acc) {
                            store(p, out + j * p->out_c, 8 * b + r, acc[r]);
                        } else {
                            out[j * p->out_c + 8 * b + r] = tmp[r];
                        }
                    }
                }
            }
        }
    }
    return M0NN_OK;
}

/* The straightforward loop, or with lane_consts and lane_weights the fast path. */
m0nn_status_t m0nn_conv_s8(const m0nn_conv_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_conv_s8_check(p, input, output, 0);
    int32_t oy, ox, co;
    if (status != M0NN_OK) {
        return status;
    }
    if (p->lane_consts && p->lane_weights) {
        return conv_lanes(p, input, output);
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
