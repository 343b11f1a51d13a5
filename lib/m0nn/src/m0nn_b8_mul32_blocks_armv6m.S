/* m0nn_b8_mul32_blocks (byte layout) and m0nn_b8w_mul32_blocks (wide layout)
 * for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h. Each in its own section.
 *
 * Per block: the accumulators start at bias + correction (in the S/H pairs of
 * m0nn_armv6m_lanes.inc: S = low row + (high row << 16), H = high row), the
 * lane loop (DOT8, or DOT4 for a last block of at most 4 rows), the row sums
 * to the stack, then the MUL32 requantization of each row: MULS, ASRS by the
 * right shift and ADCS of the carry, which is the last bit shifted out:
 * floor(v / 2^r) + bit r-1 of v equals floor((v + 2^(r-1)) / 2^r), the
 * rounding of m0nn_requantize_mul32 (r >= 1, which the argument check
 * guarantees for MUL32). Per channel two rows per pass (M and shift by LDM),
 * a negative v = y + offset - act_min cleared without a branch; per tensor M
 * and the shift stay in registers and both clamps branch. Either way the
 * upper clamp is one unsigned compare of v against act_max - act_min.
 * Stack: [sp, #0..31] row sums, [sp, #32] the job, [sp, #36] x + n (byte
 * layout; the wide loop keeps it in r5, which needs no mask).
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
    .syntax unified
    .thumb

/* ROW_PC name, k: one row of the per-channel requantization, up to the
 * unsigned compare of v = y + offset - act_min with act_max - act_min (the
 * caller branches on it); a negative v is cleared without a branch (a ReLU
 * clamps half its rows). 14 cycles; 18 with the caller's branch, add and store. */
    .macro ROW_PC name, k
    ldm r6!, {r4}
    ldm r0!, {r5}
    ldm r1!, {r3}
\name\()_r\k\()_requant:           /* local symbols: m0nn bench attributes these cycles */
    muls r4, r5, r4
    rsbs r3, r3, #0             /* right shift in [1, 31] */
    asrs r4, r3
    adcs r4, r7                 /* + the rounding bit */
\name\()_r\k\()_requant_end:
    add r4, r9
    asrs r5, r4, #31
    bics r4, r5
    cmp r4, r10
    .endm

/* MUL32_BLOCKS name, wide */
    .macro MUL32_BLOCKS name, wide
    .section .text.\name, "ax", %progbits
    .align 2
    .global \name
    .type \name, %function
    .thumb_func
\name:
    ENTER
    sub sp, #40
    str r0, [sp, #32]

.Lblock\@:
    ldr r7, [sp, #32]
    ldr r0, [r7, #16]           /* bias, padded to the block */
    ldr r1, [r7, #12]           /* correction */
    BIAS4
    mov r9, r5                  /* H row 3 */
    lsls r5, r5, #16
    adds r5, r5, r3
    mov r8, r5                  /* S rows 1/3 */
    lsls r6, r4, #16
    adds r6, r6, r2             /* S rows 0/2 */
    ldr r3, [r7, #52]           /* rows */
    mov r7, r4                  /* H row 2 */
    cmp r3, #4
    bhi .Leight\@
    ldr r3, [sp, #32]           /* a last block of at most 4 rows */
    ldm r3!, {r0-r2}
    .if !\wide
    ldr r5, .Lmask\@           /* the wide loop needs no mask */
    .endif
    DOT4 \wide
    mov r0, sp
    UNLANE4 r0
    b .Lrequant\@
.Leight\@:
    BIAS4
    mov r11, r4                 /* H row 6 */
    mov lr, r5                  /* H row 7 */
    lsls r4, r4, #16
    adds r4, r4, r2
    mov r10, r4                 /* S rows 4/6 */
    lsls r5, r5, #16
    adds r5, r5, r3
    mov r12, r5                 /* S rows 5/7 */
    ldr r3, [sp, #32]
    ldm r3!, {r0-r2}            /* x, weights, n */
    .if \wide
    adds r5, r0, r2
    .else
    adds r4, r0, r2
    str r4, [sp, #36]
    ldr r5, .Lmask\@
    .endif
    DOT8 36, \wide
    mov r0, sp
    UNLANE8 r0

.Lrequant\@:
    ldr r7, [sp, #32]
    str r1, [r7, #4]            /* the next block's weights */
    ldr r3, [r7, #16]
    ldr r4, [r7, #56]           /* bias_step */
    adds r3, r3, r4
    str r3, [r7, #16]
    ldr r4, [r7, #40]
    mov r9, r4                  /* output_offset - act_min */
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
    movs r7, #0
    mov r6, sp
    cmp r4, #0
    beq .Lper_tensor\@
    mov r3, lr                  /* per channel: M and shift advance with the rows, */
    subs r3, r3, r2             /* two rows per pass; an odd count enters at the */
    lsrs r3, r3, #1             /* second row with the output pointer one back */
    bcc 5f
    subs r2, #1
    b 55f
5:  ROW_PC \name, 0
    bhi 91f
61: add r4, r11
    strb r4, [r2]
55: ROW_PC \name, 1
    bhi 92f
62: add r4, r11
    strb r4, [r2, #1]
    adds r2, #2
    cmp r2, lr
    bne 5b
    b .Lblock_end\@
91: mov r4, r10                 /* v > act_max - act_min (rare) */
    b 61b
92: mov r4, r10
    b 62b

.Lper_tensor\@:
    ldr r5, [r0]
    ldr r3, [r1]
    rsbs r3, r3, #0
5:  ldm r6!, {r4}
\name\()_pt_requant:
    muls r4, r5, r4
    asrs r4, r3
    adcs r4, r7
\name\()_pt_requant_end:
    add r4, r9
    cmp r4, r10
    bhi 9f
6:  add r4, r11
    strb r4, [r2]
    adds r2, #1
    cmp r2, lr
    bne 5b

.Lblock_end\@:
    ldr r7, [sp, #32]
    str r0, [r7, #20]
    str r1, [r7, #24]
    str r2, [r7, #32]
    ldr r3, [r7, #36]
    subs r3, #1
    str r3, [r7, #36]
    beq 8f
    b .Lblock\@
8:  add sp, #40
    LEAVE
9:  mov r4, r7
    blt 6b
    mov r4, r10
    b 6b
    .align 2
.Lmask\@:
    .word 0x00FF00FF
    .size \name, . - \name
    .endm

    MUL32_BLOCKS m0nn_b8_mul32_blocks, 0
    MUL32_BLOCKS m0nn_b8w_mul32_blocks, 1
#endif
