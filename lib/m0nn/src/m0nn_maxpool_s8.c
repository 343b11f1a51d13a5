#include "m0nn_internal.h"

/* The largest value of each window's taps inside the input (ONNX pads with -inf).
 * Per window the output's channels hold the running maximum, channels innermost
 * (contiguous in input and output): the first tap is copied, each further tap
 * raises them; an empty window gives -128. */
m0nn_status_t m0nn_maxpool_s8(const m0nn_pool_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_pool_s8_check(p, input, output, 0);
    const int32_t c_n = p->channels;
    int32_t oy, ox, c, ky, kx;
    if (status != M0NN_OK) {
        return status;
    }
    for (oy = 0; oy < p->out_h; ++oy) {
        const m0nn_span_t ys = m0nn_pool_span(oy * p->stride_h - p->pad_top, p->kernel_h, p->in_h);
        for (ox = 0; ox < p->out_w; ++ox, output += c_n) {
            const m0nn_span_t xs = m0nn_pool_span(ox * p->stride_w - p->pad_left, p->kernel_w, p->in_w);
            const int32_t skip = (p->in_w - (xs.hi - xs.lo)) * c_n; /* from past a row's taps to the next */
            int32_t at = (ys.lo * p->in_w + xs.lo) * c_n;           /* the first tap inside */
            int32_t taps = 0;
            for (ky = ys.lo; ky < ys.hi; ++ky, at += skip) {
                for (kx = xs.lo; kx < xs.hi; ++kx, at += c_n, ++taps) {
                    const int8_t *x = input + at;
                    if (taps == 0) {
                        for (c = 0; c < c_n; ++c) {
                            output[c] = x[c];
                        }
                        continue;
                    }
                    for (c = 0; c < c_n; ++c) {
                        if (x[c] > output[c]) {
                            output[c] = x[c];
                        }
                    }
                }
            }
            for (c = 0; taps == 0 && c < c_n; ++c) {
                output[c] = -128;
            }
        }
    }
    return M0NN_OK;
}
