#include "m0nn_internal.h"

/* The portable kernel: the TFLite Micro reference loop, one output at a time.
 * Clamping after adding the output offset is what fuses ReLU and ReLU6; the
 * sum is clamped as if formed exactly (m0nn_offset_clamp). */
m0nn_status_t m0nn_fc_s8(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{
    const m0nn_status_t status = m0nn_fc_s8_check(p, input, output);
    const int8_t *row;
    int32_t input_sum = 0;
    int32_t o;

    if (status != M0NN_OK) {
        return status;
    }
    row = (const int8_t *)p->weights;
    if (p->weight_zero_point != 0) {
        /* sum_i (x_i + input_offset): |.| <= 65535 * 255 */
        int32_t i;
        for (i = 0; i < p->in_size; ++i) {
            input_sum += (int32_t)input[i] + p->input_offset;
        }
    }
    for (o = 0; o < p->out_size; ++o) {
        const int32_t q = p->per_channel ? o : 0;
        int32_t dot = 0;
        int32_t acc;
        int32_t i;
        int32_t y;
        /* |dot| <= 65535 * 255 * 128 < 2^31: the products alone never leave
         * int32. The weight zero point's term and the bias come after, modulo
         * 2^32 (no undefined overflow on the way), as in TFLite the bias last:
         * the final accumulator is exact whenever it fits (the generator
         * proves it). */
        for (i = 0; i < p->in_size; ++i) {
            dot += ((int32_t)input[i] + p->input_offset) * (int32_t)row[i];
        }
        acc = (int32_t)((uint32_t)dot -
                        (p->weight_zero_point != 0 ? (uint32_t)p->weight_zero_point[q] * (uint32_t)input_sum : 0u) +
                        (p->bias ? (uint32_t)p->bias[o] : 0u));
        row += p->in_size;
        if (p->requant == M0NN_REQUANT_Q31) {
            y = m0nn_requantize_q31(acc, p->multiplier[q], p->shift[q]);
        } else if (p->requant == M0NN_REQUANT_MUL32) {
            y = m0nn_requantize_mul32(acc, p->multiplier[q], -p->shift[q]);
        } else {
            y = m0nn_requantize_shift(acc, -p->shift[q]);
        }
        /* int8, or offset-binary uint8 for a blocked consumer */
        m0nn_store_byte(output + o, m0nn_offset_clamp(y, p->output_offset, p->act_min, p->act_max));
    }
    return M0NN_OK;
}
