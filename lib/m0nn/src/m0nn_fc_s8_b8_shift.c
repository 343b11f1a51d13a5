#include "m0nn_internal.h"

/* Requantizes (shift only: power-of-two scales), offsets, clamps and stores
 * `rows` accumulators; the shift pointer advances by `step` (1 per channel, 0
 * per tensor). Parameters are copied to locals: an int8 store may alias anything. */
static void store_shift(const m0nn_fc_s8_params_t *p, const int32_t *acc, int32_t rows, const int32_t *m,
                        const int32_t *s, int32_t step, int8_t *out)
{
    const int32_t offset = p->output_offset;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t r;
    (void)m;
    for (r = 0; r < rows; ++r) {
        int32_t y = m0nn_requantize_shift(acc[r], -*s) + offset;
        y = y < lo ? lo : y;
        y = y > hi ? hi : y;
        out[r] = (int8_t)y;
        s += step;
    }
}

m0nn_status_t m0nn_fc_s8_b8_shift(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    if (p != 0 && p->requant != M0NN_REQUANT_SHIFT) {
        return M0NN_ERR_QUANT;
    }
    return m0nn_fc_b8_walk(p, input, output, store_shift);
}
