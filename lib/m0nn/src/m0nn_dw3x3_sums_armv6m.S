/* m0nn_dw3x3_sums for ARMv6-M: see m0nn_internal.h. The channel's nine weights
 * stay put for the whole band: w0-w4 in r3-r7, w5-w7 in r10-r12, w8 on the
 * stack. Per tap LDR of the packed word, one MULS for both products, S += P,
 * H += P >> 16 (S, H in r8, r9): 6 cycles (7 for a weight in a high register,
 * 8 for the one on the stack); the last tap leaves S and H in r1, r2, which one
 * STM writes over the window's first two words, advancing to the next window.
 * 66 cycles per window of 18 multiply-accumulates on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"

/* DW_TAP: the packed word at byte offset off of the window times the weight in
 * low register w into S (r8) and H (r9); 6 cycles. DW_TAP_HIGH: the weight in
 * high register w, copied to r2 first; 7 cycles. */
    .macro DW_TAP off, w
    ldr r1, [r0, #\off]
    muls r1, \w
    add r8, r1
    asrs r1, r1, #16
    add r9, r1
    .endm

    .macro DW_TAP_HIGH off, w
    ldr r1, [r0, #\off]
    mov r2, \w
    muls r2, r1
    add r8, r2
    asrs r2, r2, #16
    add r9, r2
    .endm

    .section .text.m0nn_dw3x3_sums, "ax", %progbits
    .align 2
    .global m0nn_dw3x3_sums
    .type m0nn_dw3x3_sums, %function
    .thumb_func
m0nn_dw3x3_sums:
    M0NN_SAVE_R4_R11
    sub sp, #16                 /* [sp]: w8, [sp, #4]: rows left, [sp, #8]: row start, [sp, #12]: row step */
    ldr r1, [r0, #48]
    str r1, [sp]
    ldr r1, [r0, #8]
    str r1, [sp, #4]
    ldr r1, [r0, #12]
    str r1, [sp, #12]
    ldr r1, [r0, #36]
    mov r10, r1                 /* w5 */
    ldr r1, [r0, #40]
    mov r11, r1                 /* w6 */
    ldr r1, [r0, #44]
    mov r12, r1                 /* w7 */
    ldr r1, [r0, #0]
    str r1, [sp, #8]
    ldr r2, [r0, #4]
    lsls r2, r2, #3
    adds r2, r2, r1
    mov lr, r2                  /* end of the row's windows */
    adds r0, #16
    ldm r0!, {r3-r7}            /* w0-w4 */
    movs r0, r1
    /* word offsets of the taps: ky * 14 + kx (M0NN_DW_ROW = 14) */
1:  ldr r1, [r0, #0]
    muls r1, r3
    mov r8, r1
    asrs r1, r1, #16
    mov r9, r1
    DW_TAP 4, r4
    DW_TAP 8, r5
    DW_TAP 56, r6
    DW_TAP_HIGH 64, r10
    DW_TAP_HIGH 112, r11
    DW_TAP_HIGH 116, r12
    ldr r1, [r0, #120]
    ldr r2, [sp]
    muls r2, r1
    add r8, r2
    asrs r2, r2, #16
    add r9, r2
    ldr r1, [r0, #60]
    muls r1, r7
    asrs r2, r1, #16
    add r2, r9                  /* H */
    add r1, r8                  /* S */
    stm r0!, {r1, r2}
    cmp r0, lr
    bne 1b
    ldr r1, [sp, #4]
    subs r1, #1
    beq 2f
    str r1, [sp, #4]
    ldr r2, [sp, #12]
    ldr r0, [sp, #8]
    adds r0, r0, r2
    str r0, [sp, #8]
    add lr, r2
    b 1b
2:  add sp, #16
    M0NN_RESTORE_R4_R11_RETURN
    .size m0nn_dw3x3_sums, .-m0nn_dw3x3_sums

/* m0nn_dw1x3_sums: w0-w2 in r3-r5, S and H in r1 and r2: 23 cycles per window
 * of 6 multiply-accumulates. */
    .section .text.m0nn_dw1x3_sums, "ax", %progbits
    .align 2
    .global m0nn_dw1x3_sums
    .type m0nn_dw1x3_sums, %function
    .thumb_func
m0nn_dw1x3_sums:
    push {r4-r7, lr}
    sub sp, #8                  /* [sp]: rows left, [sp, #4]: bytes from past a row's windows to the next row */
    ldr r1, [r0, #8]
    str r1, [sp]
    ldr r2, [r0, #12]
    mov r12, r2                 /* row step */
    ldr r1, [r0, #4]
    lsls r1, r1, #3
    subs r2, r2, r1
    str r2, [sp, #4]
    ldr r2, [r0, #0]
    adds r1, r1, r2
    mov lr, r1                  /* end of the row's windows */
    adds r0, #16
    ldm r0!, {r3-r5}            /* w0-w2 */
    movs r0, r2
1:  ldr r1, [r0, #0]
    muls r1, r3
    asrs r2, r1, #16
    ldr r6, [r0, #4]
    muls r6, r4
    adds r1, r1, r6
    asrs r6, r6, #16
    adds r2, r2, r6
    ldr r6, [r0, #8]
    muls r6, r5
    adds r1, r1, r6
    asrs r6, r6, #16
    adds r2, r2, r6
    stm r0!, {r1, r2}
    cmp r0, lr
    bne 1b
    ldr r1, [sp]
    subs r1, #1
    beq 2f
    str r1, [sp]
    ldr r1, [sp, #4]
    adds r0, r0, r1
    add lr, r12
    b 1b
2:  add sp, #8
    pop {r4-r7, pc}
    .size m0nn_dw1x3_sums, .-m0nn_dw1x3_sums
#endif
