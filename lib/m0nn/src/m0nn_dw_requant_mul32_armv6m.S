/* m0nn_dw_requant_mul32 for ARMv6-M: see m0nn_internal.h. Per pair LDM of S and
 * H, then per output MULS, the folded bias and rounding, ASRS, + d, max(., 0)
 * without a branch (ASRS #31, BICS), a compare with span whose rare taken branch
 * clamps, + lo, STRB: 33 cycles per pair on a Cortex-M0 with the loop. m, right,
 * out and out_step in r4-r7, c0, c1, d, span, lo in r8-r12. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"

/* DW_Y: y (the folded sum) times m (r4), + c, >> right (r5), + d (r10),
 * max(., 0) (r3 scratch), then compared with span (r11). 7 cycles. */
    .macro DW_Y y, c
    muls \y, r4
    add \y, \c
    asrs \y, r5
    add \y, r10
    asrs r3, \y, #31
    bics \y, r3
    cmp \y, r11
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
    ldr r6, [r0, #16]
    ldr r7, [r0, #20]
    ldr r4, [r0, #32]
    ldr r5, [r0, #36]
    ldr r0, [r0, #0]
3:  ldr r1, [sp, #4]
    adds r1, r1, r0
    mov lr, r1
    cmp r0, r1
    beq 5f
1:  ldm r0!, {r1, r2}
    lsls r3, r2, #16
    subs r1, r1, r3             /* S - (H << 16) */
    DW_Y r1, r8
    bgt 6f
7:  add r1, r12
    strb r1, [r6]
    adds r6, r6, r7
    DW_Y r2, r9
    bgt 8f
9:  add r2, r12
    strb r2, [r6]
    adds r6, r6, r7
    cmp r0, lr
    bne 1b
5:  ldr r1, [sp, #8]
    cmp r1, #0
    beq 4f
    ldm r0!, {r1, r2}           /* the last pair of an odd row: its left output only */
    lsls r3, r2, #16
    subs r1, r1, r3
    DW_Y r1, r8
    ble 10f
    mov r1, r11
10: add r1, r12
    strb r1, [r6]
    adds r6, r6, r7
4:  ldr r1, [sp, #12]
    adds r6, r6, r1
    ldr r1, [sp, #16]
    adds r0, r0, r1
    ldr r1, [sp]
    cmp r0, r1
    bne 3b
    add sp, #20
    M0NN_RESTORE_R4_R11_RETURN
6:  mov r1, r11
    b 7b
8:  mov r2, r11
    b 9b
    .size m0nn_dw_requant_mul32, .-m0nn_dw_requant_mul32
#endif
