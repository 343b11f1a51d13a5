/* Q31 requantization without the 64-bit multiply, for bounded accumulators.
 * Private to lib/m0nn (included by m0nn_internal.h). */
#ifndef M0NN_REQUANT_SPLIT_H
#define M0NN_REQUANT_SPLIT_H

#include <stdint.h>

/* The largest |acc| m0nn_requantize_q31_split takes: 2^30 - 1
 * (m0nn.quant.Q31_SPLIT_ACC_MAX). */
#define M0NN_Q31_SPLIT_ACC_MAX 1073741823

/* TFLite's MultiplyByQuantizedMultiplier(acc, *m, shift) plus `offset`, bit for
 * bit equal to m0nn_requantize_q31(acc, *m, shift) + offset, from four 16x16-bit
 * products (docs/numerics.md, "Q31 without the 64-bit multiply", proves it and
 * every intermediate's range).
 * Ranges: *m in [0, 2^31 - 1], shift in [-31, -1] (a right shift only),
 * |acc| <= M0NN_Q31_SPLIT_ACC_MAX and |offset| <= 2^30 (the kernels pass the
 * output offset, [-128, 255]); the callers check *m and shift once per layer,
 * the generator proves the accumulator bound (as for MUL32). The sum cannot
 * leave int32: |y| <= 2^29 + 2^16 + 1.
 * `m` points at the multiplier (the ARMv6-M code loads its halves mh and ml).
 * With acc = xh 2^16 + xl (xl in [-2^15, 2^15)), *m = mh 2^16 + ml (ml in
 * [0, 2^16)) and r = -shift:
 *   S = floor(xl ml / 2^16) + xl mh + xh ml          (floor(acc m / 2^16) - 2^16 xh mh)
 *   g = 2 xh mh - [acc < 0] + floor((S + 2^14) / 2^15)   (step 1 minus the sign)
 *   y = floor((g + 2^(r-1)) / 2^r)                   (step 2: ties away from zero)
 * Each "+ 2^(k-1) then shift by k" is a shift plus the last bit shifted out.
 * The kernels run it through m0nn_q31_split_store (m0nn_internal.h), whose
 * ARMv6-M assembly does the same in 19 instructions, the halfwords loaded with
 * LDRH and each rounding bit added by ADCS from the carry of ASRS, the
 * second with the offset. */
static inline int32_t m0nn_requantize_q31_split(int32_t acc, const int32_t *m, int32_t shift, int32_t offset)
{
    const int32_t xl = (int32_t)(((uint32_t)acc & 0xFFFFu) ^ 0x8000u) - 0x8000;
    const int32_t xh = (acc - xl) >> 16;
    const int32_t ml = *m & 0xFFFF;
    const int32_t mh = *m >> 16;
    const int32_t s = ((xl * ml) >> 16) + xl * mh + xh * ml;
    const int32_t g = 2 * xh * mh - (acc < 0 ? 1 : 0) + (s >> 15) + ((s >> 14) & 1);
    const int32_t r = -shift;
    return (g >> r) + ((g >> (r - 1)) & 1) + offset;
}

#endif /* M0NN_REQUANT_SPLIT_H */
