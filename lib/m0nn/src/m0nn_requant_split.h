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
 * |acc| <= M0NN_Q31_SPLIT_ACC_MAX and |offset| <= 2^29 (the kernels pass the
 * output offset, [-128, 255]); the callers check *m and shift once per layer,
 * the generator proves the accumulator bound (as for MUL32). The sum cannot
 * leave int32: |y| <= 2^29 + 2^16 + 1.
 * `m` points at the multiplier: the ARMv6-M code loads its two 16-bit halves
 * (mh, ml) straight from the table, a little-endian word.
 * With acc = xh 2^16 + xl (xl in [-2^15, 2^15)), *m = mh 2^16 + ml (ml in
 * [0, 2^16)) and r = -shift:
 *   S = floor(xl ml / 2^16) + xl mh + xh ml          (floor(acc m / 2^16) - 2^16 xh mh)
 *   g = 2 xh mh - [acc < 0] + floor((S + 2^14) / 2^15)   (step 1 minus the sign)
 *   y = floor((g + 2^(r-1)) / 2^r)                   (step 2: ties away from zero)
 * On ARMv6-M each "+ 2^(k-1) then shift by k" is a shift whose carry (the last
 * bit shifted out) an ADCS adds back; the second ADCS adds the offset with it:
 * 19 instructions and two halfword loads, no call, no branch. */
static inline int32_t m0nn_requantize_q31_split(int32_t acc, const int32_t *m, int32_t shift, int32_t offset)
{
#if defined(__ARM_ARCH_6M__) && defined(__GNUC__) && !defined(__ARM_BIG_ENDIAN)
    int32_t x = acc;
    const int32_t *mh = m;
    int32_t r = shift;
    int32_t t;
    int32_t xl;
    int32_t xh;
    int32_t ml;
    /* Two statements, so the compiler may load shift and offset between them
     * (at most six low registers live in the first). GCC brackets inline
     * assembly with `.syntax divided`; these instructions are unified syntax. */
    __asm__(".syntax unified\n\t"
            "ldrh  %[ml], [%[mh], #0]\n\t"  /* ml */
            "ldrh  %[mh], [%[mh], #2]\n\t"  /* mh */
            "sxth  %[xl], %[x]\n\t"         /* xl: acc's low half, signed */
            "subs  %[xh], %[x], %[xl]\n\t"  /* acc - xl, a multiple of 2^16 */
            "asrs  %[xh], %[xh], #16\n\t"   /* xh */
            "asrs  %[x], %[x], #31\n\t"     /* -[acc < 0] */
            "movs  %[t], %[ml]\n\t"         /* a copy: MULS overwrites a factor */
            "muls  %[t], %[xl], %[t]\n\t"   /* xl ml */
            "muls  %[xl], %[mh], %[xl]\n\t" /* xl mh */
            "muls  %[ml], %[xh], %[ml]\n\t" /* xh ml */
            "muls  %[mh], %[xh], %[mh]\n\t" /* xh mh */
            "asrs  %[t], %[t], #16\n\t"     /* floor(xl ml / 2^16) */
            "adds  %[t], %[t], %[xl]\n\t"   /* + xl mh */
            "adds  %[t], %[t], %[ml]\n\t"   /* S */
            "lsls  %[mh], %[mh], #1\n\t"    /* 2 xh mh */
            "adds  %[mh], %[mh], %[x]\n\t"  /* 2 xh mh - [acc < 0] */
            "asrs  %[t], %[t], #15\n\t"     /* carry: bit 14 of S */
            "adcs  %[t], %[t], %[mh]\n\t"   /* g */
            ".syntax divided"
            : [t] "=&l"(t), [xl] "=&l"(xl), [xh] "=&l"(xh), [ml] "=&l"(ml), [x] "+l"(x), [mh] "+l"(mh)
            : "m"(*m)
            : "cc");
    __asm__(".syntax unified\n\t"
            "negs  %[r], %[r]\n\t"         /* r */
            "asrs  %[t], %[t], %[r]\n\t"   /* carry: bit r - 1 of g */
            "adcs  %[t], %[t], %[off]\n\t" /* y + offset */
            ".syntax divided"
            : [t] "+l"(t), [r] "+l"(r)
            : [off] "l"(offset)
            : "cc");
    return t;
#else
    const int32_t xl = (int32_t)(((uint32_t)acc & 0xFFFFu) ^ 0x8000u) - 0x8000;
    const int32_t xh = (acc - xl) >> 16;
    const int32_t ml = *m & 0xFFFF;
    const int32_t mh = *m >> 16;
    const int32_t s = ((xl * ml) >> 16) + xl * mh + xh * ml;
    const int32_t g = 2 * xh * mh - (acc < 0 ? 1 : 0) + (s >> 15) + ((s >> 14) & 1);
    const int32_t r = -shift;
    return (g >> r) + ((g >> (r - 1)) & 1) + offset;
#endif
}

#endif /* M0NN_REQUANT_SPLIT_H */
