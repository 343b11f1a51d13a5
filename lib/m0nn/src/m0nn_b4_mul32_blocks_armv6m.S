/* m0nn_b4_mul32_blocks for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h.
 *
 * Per block of 8 rows: the accumulators start at bias + correction, split as
 * the loop of m0nn_armv6m_nibbles.inc keeps them (S_k = row k + (row k + 4)
 * << 16, H_k = row k + 4); the loop; then the MUL32 requantization as in
 * m0nn_b8_mul32_blocks_armv6m.S: MULS, ASRS by the right shift and ADCS of
 * the carry (the last bit shifted out), which is floor((v + 2^(r-1)) / 2^r),
 * the rounding of m0nn_requantize_mul32, with output_offset - act_min added
 * by the same ADCS; a negative v cleared without a branch, the upper clamp
 * one unsigned compare. Per channel the 8 rows are unrolled (rows 7 down to
 * 0, a last block of fewer rows entering at its top row through a table):
 * rows 4-7 read H from the stack, rows 0-3 take S_k - (H_k << 16) straight
 * from the registers, M and the shift come at immediate offsets. Per tensor,
 * M and the shift in registers, the row sums go through the stack.
 * The job's correction is -128 * sum(x) (m0nn_fc_b8_mul32 computes it for the
 * 8-bit layouts); the weights' +8 needs -8 * sum(x), the same shifted right
 * by 4 (exact: a multiple of 16, no overflow for in_size <= 65535).
 * Stack: [sp, #0] the job, [sp, #4] x + n, [sp, #8..39] the row sums: rows
 * 0-3 (per tensor only), then H0-H3, which are rows 4-7 where the loop
 * leaves them.
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
#include "m0nn_armv6m_nibbles.inc"
    .syntax unified
    .thumb

/* RQ_PC k: row k of a per-channel block, from its accumulator in r4 (see
 * RQ_HI, RQ_LO) to the store; r0/r1 point at the block's multipliers and
 * shifts, r2 at its outputs. 15 cycles. */
    .macro RQ_PC k
    ldr r5, [r0, #(4 * \k)]
    ldr r3, [r1, #(4 * \k)]
m0nn_b4_mul32_blocks_r\k\()_requant:    /* local symbols: m0nn bench attributes these cycles */
    muls r4, r5, r4
    rsbs r3, r3, #0             /* right shift in [1, 31] */
    asrs r4, r3
    adcs r4, r7                 /* + the rounding bit + output_offset - act_min */
m0nn_b4_mul32_blocks_r\k\()_requant_end:
    asrs r5, r4, #31
    bics r4, r5
    cmp r4, r8
    bhi .Lhigh\k                /* v > act_max - act_min (rare) */
.Lback\k:
    add r4, r9
    strb r4, [r2, #\k]
    .endm

/* RQ_HI k (k = 4..7): row k is H_(k-4), on the stack. 17 cycles. */
    .macro RQ_HI k
.Lrow\k:
    ldr r4, [sp, #(24 + 4 * (\k - 4))]
    RQ_PC \k
    .endm

/* RQ_LO k, s (k = 0..3): row k is S_k - (H_k << 16), S_k in the high
 * register s. 20 cycles. */
    .macro RQ_LO k, s
.Lrow\k:
    mov r4, \s
    ldr r3, [sp, #(24 + 4 * \k)]
    lsls r3, r3, #16
    subs r4, r4, r3
    RQ_PC \k
    .endm

/* HIGH k: the out-of-line clamp of row k to act_max - act_min. */
    .macro HIGH k
.Lhigh\k:
    mov r4, r8
    b .Lback\k
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
    ldr r3, [r7, #16]
    ldr r4, [r7, #56]           /* bias_step */
    adds r3, r3, r4
    str r3, [r7, #16]
    ldr r4, [r7, #44]
    mov r8, r4                  /* act_max - act_min */
    ldr r4, [r7, #48]
    mov r9, r4                  /* act_min */
    ldr r0, [r7, #20]           /* multiplier */
    ldr r1, [r7, #24]           /* shift */
    ldr r2, [r7, #32]           /* output */
    ldr r6, [r7, #52]           /* rows */
    ldr r4, [r7, #28]           /* step: 4 per channel, 0 per tensor */
    ldr r7, [r7, #40]           /* output_offset - act_min, added with the rounding bit */
    cmp r4, #0
    beq .Lto_per_tensor
    cmp r6, #8
    beq .Lrow7
    adr r3, .Lentry             /* a last block of 1-7 rows enters at row rows - 1 */
    ldrb r4, [r3, r6]
    lsls r4, r4, #1
    adr r3, .Lrow7
    adds r3, r3, r4
    mov pc, r3
    .align 2
.Lentry:
    .byte 0
    .byte (.Lrow0 - .Lrow7) / 2
    .byte (.Lrow1 - .Lrow7) / 2
    .byte (.Lrow2 - .Lrow7) / 2
    .byte (.Lrow3 - .Lrow7) / 2
    .byte (.Lrow4 - .Lrow7) / 2
    .byte (.Lrow5 - .Lrow7) / 2
    .byte (.Lrow6 - .Lrow7) / 2
.Lto_per_tensor:
    b .Lper_tensor
    .align 2
.Lmask:                         /* within LDR's reach of the block's start */
    .word 0x000F000F
    HIGH 7                      /* in reach of the rows' conditional branches */
    HIGH 6
    HIGH 5
    HIGH 4
    .align 2
    RQ_HI 7
    RQ_HI 6
    RQ_HI 5
    RQ_HI 4
    RQ_LO 3, lr
    RQ_LO 2, r12
    RQ_LO 1, r11
    RQ_LO 0, r10
    adds r0, #32                /* the next block's multipliers, shifts and outputs */
    adds r1, #32
    adds r2, #8

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
    HIGH 3
    HIGH 2
    HIGH 1
    HIGH 0
8:  add sp, #40
    LEAVE

.Lper_tensor:                   /* rows 0-3 to the stack, beside H0-H3 (rows 4-7) */
    add r3, sp, #24
    ldm r3, {r3-r6}
    lsls r3, r3, #16
    rsbs r3, r3, #0
    add r3, r10
    lsls r4, r4, #16
    rsbs r4, r4, #0
    add r4, r11
    lsls r5, r5, #16
    rsbs r5, r5, #0
    add r5, r12
    lsls r6, r6, #16
    rsbs r6, r6, #0
    add r6, lr
    str r3, [sp, #8]
    str r4, [sp, #12]
    str r5, [sp, #16]
    str r6, [sp, #20]
    ldr r6, [sp, #0]
    ldr r6, [r6, #52]           /* rows */
    adds r4, r2, r6
    mov lr, r4                  /* end of this block's outputs */
    add r6, sp, #8
    ldr r5, [r0]
    ldr r3, [r1]
    rsbs r3, r3, #0
5:  ldm r6!, {r4}
m0nn_b4_mul32_blocks_pt_requant:
    muls r4, r5, r4
    asrs r4, r3
    adcs r4, r7
m0nn_b4_mul32_blocks_pt_requant_end:
    cmp r4, r8
    bhi 9f
6:  add r4, r9
    strb r4, [r2]
    adds r2, #1
    cmp r2, lr
    bne 5b
    b .Lblock_end
9:  blt 7f                      /* v < 0: act_min */
    mov r4, r8
    b 6b
7:  movs r4, #0
    b 6b
    .size m0nn_b4_mul32_blocks, . - m0nn_b4_mul32_blocks
#endif
