#include "m0nn_internal.h"

/* Requantizes, offsets, clamps and stores `rows` accumulators; the multiplier
 * and shift pointers advance by `step` (1 per channel, 0 per tensor). The
 * parameters are copied to locals: an int8 store may alias anything, so the
 * compiler would otherwise reload them after every output. */
static void store_mul32(const m0nn_fc_s8_params_t *p, const int32_t *acc, int32_t rows, const int32_t *m,
                        const int32_t *s, int32_t step, int8_t *out)
{
    const int32_t offset = p->output_offset;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t r;
    for (r = 0; r < rows; ++r) {
        int32_t y = m0nn_requantize_mul32(acc[r], *m, -*s) + offset;
        y = y < lo ? lo : y;
        y = y > hi ? hi : y;
        out[r] = (int8_t)y;
        m += step;
        s += step;
    }
}

m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    if (p != 0 && p->requant != M0NN_REQUANT_MUL32) {
        return M0NN_ERR_QUANT;
    }
    return m0nn_fc_b8_walk(p, input, output, store_mul32);
}
