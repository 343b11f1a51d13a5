#include "m0nn_internal.h"

m0nn_status_t m0nn_fc_s8_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output)
{
    uint32_t bad = 0;
    int32_t n_quant;

    if (p == 0 || input == 0 || output == 0 || p->weights == 0 || p->shift == 0 ||
        (p->multiplier == 0 && p->requant != M0NN_REQUANT_SHIFT)) {
        return M0NN_ERR_NULL;
    }
    if (p->in_size < 1 || p->in_size > M0NN_MAX_SIZE || p->out_size < 1 || p->out_size > M0NN_MAX_SIZE) {
        return M0NN_ERR_SIZE;
    }
    /* The output is int8 (clamp within [-128, 127]) or offset-binary uint8
     * (clamp within [0, 255], the next blocked layer's input). */
    if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 || p->output_offset > 255 ||
        p->act_min < -128 || p->act_max > (p->act_min < 0 ? 127 : 255) || p->act_min > p->act_max) {
        return M0NN_ERR_OFFSET;
    }
    if (p->per_channel != 0 && p->per_channel != 1) {
        return M0NN_ERR_QUANT;
    }
    /* Multipliers and shifts are data: check them all here, never in the loop;
     * it runs on every call, so two operations per shift. A value has bits
     * 5-31 all set iff it lies in [-32, -1]: MUL32 (shift in [-31, -1]) needs
     * that of s and of s - 1, SHIFT (shift in [-31, 0]) of s - 1, so AND
     * (s - d) & (s - 1) over all shifts (d = 0 or 1) and test bits 5-31 once.
     * Q31 (shift in [-31, 30]) checks t = s + 31 in [0, 61]: neither t nor
     * 61 - t may have the sign bit (unsigned arithmetic, no overflow). A
     * multiplier is legal iff it is not negative: OR them, test the sign bit. */
    n_quant = p->per_channel ? p->out_size : 1;
    {
        const uint32_t *s = (const uint32_t *)p->shift;
        const uint32_t *end = s + n_quant;
        uint32_t all = ~0u;
        if (p->requant == M0NN_REQUANT_Q31) {
            while (s != end) {
                const uint32_t t = *s++ + 31u;
                bad |= t | (61u - t);
            }
        } else if (p->requant == M0NN_REQUANT_MUL32 || p->requant == M0NN_REQUANT_SHIFT) {
            const uint32_t d = p->requant == M0NN_REQUANT_MUL32 ? 0u : 1u;
            for (; end - s >= 4; s += 4) {
                all &= (s[0] - d) & (s[0] - 1u) & (s[1] - d) & (s[1] - 1u) & (s[2] - d) & (s[2] - 1u) & (s[3] - d) &
                       (s[3] - 1u);
            }
            for (; s != end; ++s) {
                all &= (*s - d) & (*s - 1u);
            }
            bad = (~all >> 5) != 0 ? 1u << 31 : 0u;
        } else {
            return M0NN_ERR_QUANT;
        }
        if (p->multiplier != 0) {
            const int32_t *m = p->multiplier;
            const int32_t *m_end = m + n_quant;
            int32_t ored = 0;
            for (; m_end - m >= 4; m += 4) {
                ored |= m[0] | m[1] | m[2] | m[3];
            }
            for (; m != m_end; ++m) {
                ored |= *m;
            }
            bad |= (uint32_t)ored;
        }
    }
    if (bad >> 31) {
        return M0NN_ERR_QUANT;
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_fc_s8_b8_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output)
{
    const m0nn_status_t status = m0nn_fc_s8_check(p, input, output);
    if (status != M0NN_OK) {
        return status;
    }
    if (p->input_offset != 0) {
        return M0NN_ERR_OFFSET;
    }
    if (((uintptr_t)p->weights & 3u) != 0) {
        return M0NN_ERR_ALIGN;
    }
    return M0NN_OK;
}
