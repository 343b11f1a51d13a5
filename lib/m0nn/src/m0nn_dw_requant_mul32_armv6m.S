/* m0nn_dw_requant_mul32 for ARMv6-M: see m0nn_internal.h. Per pair LDM of S and
 * H, then per output MULS, the folded bias and rounding, ASRS, + d, the clamp to
 * [0, span] as one unsigned compare whose rare taken branch clamps (`lower`: the
 * negatives of a fused ReLU cleared first without a branch, ASRS #31, BICS), + lo,
 * STRB: 29 cycles per pair on a Cortex-M0 with the loop (33 with `lower`). m,
 * right, out and out_step in r4-r7, c0, c1, d, span, lo in r8-r12, the end of the
 * row's full pairs in lr. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"

/* DW_Y y, c, fix, back, lower: y (the folded sum) times m (r4), + c, >> right
 * (r5), + d (r10), clamped to [0, span (r11)] (r3 scratch), + lo (r12), stored
 * at out (r6), out += out_step (r7). 10 cycles (12 with lower) when in range. */
    .macro DW_Y y, c, fix, back, lower
    muls \y, r4
    add \y, \c
    asrs \y, r5
    add \y, r10
    .if \lower
    asrs r3, \y, #31
    bics \y, r3
    .endif
    cmp \y, r11
    bhi \fix
\back:
    add \y, r12
    strb \y, [r6]
    adds r6, r6, r7
    .endm

/* The clamp out of line: below 0 (as unsigned: above span) to 0, above span to span. */
    .macro DW_FIX y, fix, back, lower
\fix:
    .if \lower
    mov \y, r11
    .else
    asrs r3, \y, #31
    mov \y, r11
    bics \y, r3
    .endif
    b \back
    .endm

/* DW_ROWS lower: every row's pairs, then the left output of an odd row's last pair. */
    .macro DW_ROWS lower
3:  ldr r1, [sp, #4]
    adds r1, r1, r0
    mov lr, r1
    cmp r0, r1
    beq 5f
1:  ldm r0!, {r1, r2}
    lsls r3, r2, #16
    subs r1, r1, r3             /* S - (H << 16) */
    DW_Y r1, r8, 6f, 7, \lower
    DW_Y r2, r9, 8f, 9, \lower
    cmp r0, lr
    bne 1b
5:  ldr r1, [sp, #8]
    cmp r1, #0
    beq 4f
    ldm r0!, {r1, r2}           /* the last pair of an odd row: its left output only */
    lsls r3, r2, #16
    subs r1, r1, r3
    DW_Y r1, r8, 10f, 11, \lower
4:  ldr r1, [sp, #12]
    adds r6, r6, r1
    ldr r1, [sp, #16]
    adds r0, r0, r1
    ldr r1, [sp]
    cmp r0, r1
    bne 3b
    add sp, #20
    M0NN_RESTORE_R4_R11_RETURN
    DW_FIX r1, 6, 7b, \lower
    DW_FIX r2, 8, 9b, \lower
    DW_FIX r1, 10, 11b, \lower
    .endm

    .section .text.m0nn_dw_requant_mul32, "ax", %progbits
    .align 2
    .global m0nn_dw_requant_mul32
    .type m0nn_dw_requant_mul32, %function
    .thumb_func
m0nn_dw_requant_mul32:
    M0NN_SAVE_R4_R11
    sub sp, #20
    /* [sp]: end of the sums, [sp, #4]: bytes of a row's full pairs, [sp, #8]: odd,
     * [sp, #12]: out_skip, [sp, #16]: bytes from past a row's sums to the next row's */
    ldr r1, [r0, #8]
    ldr r3, [r0, #12]
    muls r1, r3
    ldr r2, [r0, #0]
    adds r1, r1, r2
    str r1, [sp]
    ldr r1, [r0, #4]
    lsls r1, r1, #3
    subs r3, r3, r1
    str r3, [sp, #16]
    ldr r2, [r0, #28]
    str r2, [sp, #8]
    lsls r2, r2, #3
    subs r1, r1, r2
    str r1, [sp, #4]
    ldr r1, [r0, #24]
    str r1, [sp, #12]
    ldr r1, [r0, #40]
    mov r8, r1                  /* c0 */
    ldr r1, [r0, #44]
    mov r9, r1                  /* c1 */
    ldr r1, [r0, #48]
    mov r10, r1                 /* d */
    ldr r1, [r0, #52]
    mov r11, r1                 /* span */
    ldr r1, [r0, #56]
    mov r12, r1                 /* lo */
    ldr r2, [r0, #60]           /* lower */
    ldr r6, [r0, #16]
    ldr r7, [r0, #20]
    ldr r4, [r0, #32]
    ldr r5, [r0, #36]
    ldr r0, [r0, #0]
    cmp r2, #0
    bne 20f
    DW_ROWS 0
20: DW_ROWS 1
    .size m0nn_dw_requant_mul32, .-m0nn_dw_requant_mul32
#endif
