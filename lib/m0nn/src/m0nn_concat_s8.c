#include "m0nn_internal.h"

/* Channels-last concatenation on the channel axis: interleave per position. */
m0nn_status_t m0nn_concat_s8(const m0nn_concat_s8_params_t *p, const int8_t *a, const int8_t *b, int8_t *output)
{
    int32_t pos, c;
    if (!p || !a || !b || !output) {
        return M0NN_ERR_NULL;
    }
    if (p->positions < 1 || p->channels_a < 1 || p->channels_b < 1) {
        return M0NN_ERR_SIZE;
    }
    for (pos = 0; pos < p->positions; ++pos) {
        for (c = 0; c < p->channels_a; ++c) {
            *output++ = *a++;
        }
        for (c = 0; c < p->channels_b; ++c) {
            *output++ = *b++;
        }
    }
    return M0NN_OK;
}
