/* m0nn_b4_mul32_blocks for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h.
 *
 * Per block of 8 rows: the accumulators start at bias + correction, split as
 * the loop of m0nn_armv6m_nibbles.inc keeps them (S_k = row k + (row k + 4)
 * << 16, H_k = row k + 4); the loop; the row sums to the stack; then the
 * MUL32 requantization as in m0nn_b8_mul32_blocks_armv6m.S: MULS, ASRS by the
 * right shift and ADCS of the carry (the last bit shifted out), which is
 * floor((v + 2^(r-1)) / 2^r), the rounding of m0nn_requantize_mul32, with
 * output_offset - act_min added by the same ADCS; per
 * channel two rows per pass with a negative v cleared without a branch, per
 * tensor M and the shift in registers; the upper clamp one unsigned compare.
 * The job's correction is -128 * sum(x) (m0nn_fc_b8_mul32 computes it for the
 * 8-bit layouts); the weights' +8 needs -8 * sum(x), the same shifted right
 * by 4 (exact: a multiple of 16, no overflow for in_size <= 65535).
 * Stack: [sp, #0] the job, [sp, #4] x + n, [sp, #8..39] the row sums: rows
 * 0-3, then H0-H3, which are rows 4-7 where the loop leaves them.
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
#include "m0nn_armv6m_nibbles.inc"
    .syntax unified
    .thumb

/* ROW_PC k: one row of the per-channel requantization, up to the unsigned
 * compare of v = y + offset - act_min with act_max - act_min (the caller
 * branches on it); a negative v is cleared without a branch. 13 cycles. */
    .macro ROW_PC k
    ldm r6!, {r4}
    ldm r0!, {r5}
    ldm r1!, {r3}
m0nn_b4_mul32_blocks_r\k\()_requant:    /* local symbols: m0nn bench attributes these cycles */
    muls r4, r5, r4
    rsbs r3, r3, #0             /* right shift in [1, 31] */
    asrs r4, r3
    adcs r4, r7                 /* + the rounding bit + output_offset - act_min */
m0nn_b4_mul32_blocks_r\k\()_requant_end:
    asrs r5, r4, #31
    bics r4, r5
    cmp r4, r10
    .endm

    .section .text.m0nn_b4_mul32_blocks, "ax", %progbits
    .align 2
    .global m0nn_b4_mul32_blocks
    .type m0nn_b4_mul32_blocks, %function
    .thumb_func
m0nn_b4_mul32_blocks:
    ENTER
    sub sp, #40
    str r0, [sp, #0]
    mov r7, r0

.Lblock:                        /* r7: the job */
    ldr r0, [r7, #16]           /* bias, padded to the block */
    ldr r1, [r7, #12]           /* correction: -128 * sum(x) */
    asrs r1, r1, #4             /* -8 * sum(x) */
    BIAS4                       /* rows 0-3 */
    mov r10, r2
    mov r11, r3
    mov r12, r4
    mov lr, r5
    BIAS4                       /* rows 4-7: H0-H3, and << 16 into S0-S3 */
    add r6, sp, #24
    stmia r6!, {r2-r5}
    lsls r2, r2, #16
    add r10, r2
    lsls r3, r3, #16
    add r11, r3
    lsls r4, r4, #16
    add r12, r4
    lsls r5, r5, #16
    add lr, r5
    ldm r7!, {r0-r2}            /* x, weights, n */
    ldr r5, .Lmask
    NIBBLE_DOT8 4, 24
    ldr r7, [sp, #0]
    str r1, [r7, #4]            /* the next block's weights */
    add r0, sp, #24
    ldm r0!, {r1-r4}            /* H0-H3: rows 4-7, already in place */
    mov r5, r10
    lsls r6, r1, #16
    subs r5, r5, r6
    mov r6, r11
    lsls r0, r2, #16
    subs r6, r6, r0
    str r5, [sp, #8]
    str r6, [sp, #12]
    mov r5, r12
    lsls r6, r3, #16
    subs r5, r5, r6
    mov r6, lr
    lsls r0, r4, #16
    subs r6, r6, r0
    str r5, [sp, #16]
    str r6, [sp, #20]

    ldr r3, [r7, #16]
    ldr r4, [r7, #56]           /* bias_step */
    adds r3, r3, r4
    str r3, [r7, #16]
    ldr r4, [r7, #44]
    mov r10, r4                 /* act_max - act_min */
    ldr r4, [r7, #48]
    mov r11, r4                 /* act_min */
    ldr r0, [r7, #20]           /* multiplier */
    ldr r1, [r7, #24]           /* shift */
    ldr r2, [r7, #32]           /* output */
    ldr r4, [r7, #52]
    adds r4, r2, r4
    mov lr, r4                  /* end of this block's outputs */
    ldr r4, [r7, #28]           /* step: 4 per channel, 0 per tensor */
    ldr r7, [r7, #40]           /* output_offset - act_min, added with the rounding bit */
    add r6, sp, #8
    cmp r4, #0
    beq .Lper_tensor
    mov r3, lr                  /* per channel: M and shift advance with the rows, */
    subs r3, r3, r2             /* two rows per pass; an odd count enters at the */
    lsrs r3, r3, #1             /* second row with the output pointer one back */
    bcc 5f
    subs r2, #1
    b 55f
5:  ROW_PC 0
    bhi 91f
61: add r4, r11
    strb r4, [r2]
55: ROW_PC 1
    bhi 92f
62: add r4, r11
    strb r4, [r2, #1]
    adds r2, #2
    cmp r2, lr
    bne 5b
    b .Lblock_end
91: mov r4, r10                 /* v > act_max - act_min (rare) */
    b 61b
92: mov r4, r10
    b 62b

.Lper_tensor:
    ldr r5, [r0]
    ldr r3, [r1]
    rsbs r3, r3, #0
5:  ldm r6!, {r4}
m0nn_b4_mul32_blocks_pt_requant:
    muls r4, r5, r4
    asrs r4, r3
    adcs r4, r7
m0nn_b4_mul32_blocks_pt_requant_end:
    cmp r4, r10
    bhi 9f
6:  add r4, r11
    strb r4, [r2]
    adds r2, #1
    cmp r2, lr
    bne 5b

.Lblock_end:
    ldr r7, [sp, #0]
    str r0, [r7, #20]
    str r1, [r7, #24]
    str r2, [r7, #32]
    ldr r3, [r7, #36]
    subs r3, #1
    str r3, [r7, #36]
    beq 8f
    b .Lblock
8:  add sp, #40
    LEAVE
9:  blt 7f                      /* v < 0: act_min */
    mov r4, r10
    b 6b
7:  movs r4, #0
    b 6b
    .align 2
.Lmask:
    .word 0x000F000F
    .size m0nn_b4_mul32_blocks, . - m0nn_b4_mul32_blocks
#endif
