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

static void store_q31(const m0nn_fc_s8_params_t *p, const int32_t *acc, int32_t rows, const int32_t *m,
                      const int32_t *s, int32_t step, int8_t *out)
{
    const int32_t offset = p->output_offset;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t r;
    for (r = 0; r < rows; ++r) {
        int32_t y = m0nn_requantize_q31(acc[r], *m, *s) + offset;
        y = y < lo ? lo : y;
        y = y > hi ? hi : y;
        out[r] = (int8_t)y;
        m += step;
        s += step;
    }
}

/* Blocked weights are stored as w + 128 so the M0 can load them with LDRB and an
 * immediate offset (LDRSB has no immediate form on ARMv6-M); the +128 adds
 * 128 * sum(x) to every accumulator, removed here once per layer. */
m0nn_status_t m0nn_fc_s8_b8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_fc_s8_check(p, input, output);
    const uint8_t *block = (const uint8_t *)p->weights;
    const int32_t step = p->per_channel ? 1 : 0;
    const int32_t *m = p->multiplier;
    const int32_t *s = p->shift;
    int32_t correction = 0;
    int32_t o0;
    int32_t i;

    if (status != M0NN_OK) {
        return status;
    }
    if (p->input_offset != 0) {
        return M0NN_ERR_OFFSET;
    }
    for (i = 0; i < p->in_size; ++i) {
        correction -= input[i];
    }
    correction *= 128;
    for (o0 = 0; o0 < p->out_size; o0 += 8) {
        const int32_t rows = p->out_size - o0 < 8 ? p->out_size - o0 : 8;
        int32_t acc[8];
        int32_t r;
        for (r = 0; r < 8; ++r) {
            acc[r] = correction;
        }
        if (p->bias != 0) {
            for (r = 0; r < rows; ++r) {
                acc[r] += p->bias[o0 + r];
            }
        }
        m0nn_dot8_s8(input, block, p->in_size, acc);
        block += 8 * p->in_size;
        if (p->requant == M0NN_REQUANT_MUL32) {
            store_mul32(p, acc, rows, m, s, step, output + o0);
        } else {
            store_q31(p, acc, rows, m, s, step, output + o0);
        }
        m += 8 * step;
        s += 8 * step;
    }
    return M0NN_OK;
}
