/* m0nn_dw3x3_sums for ARMv6-M: see m0nn_internal.h. The channel's nine weights
 * (unpacked from the host's bytes) stay in registers for the whole band: w0-w4
 * in r3-r7, w5-w8 in r10-r12, lr. Per tap LDR of the packed word, one MULS for
 * both products, S += P, H += P >> 16 (S, H in r8, r9): 6 cycles (7 for a weight
 * in a high register); the last tap leaves S and H in r1, r2, which one STM writes
 * over the window's first two words, advancing to the next window. A row's
 * windows are straight-line code entered at the window that leaves `pairs` of
 * them (no loop test): 61 cycles per window of 18 multiply-accumulates on a
 * Cortex-M0, 14 more per row. */
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

/* One window (word offsets ky * 14 + kx, M0NN_DW_ROW = 14): 50 instructions. */
    .macro DW_WINDOW
    ldr r1, [r0, #0]
    muls r1, r3
    mov r8, r1
    asrs r1, r1, #16
    mov r9, r1
    DW_TAP 4, r4
    DW_TAP 8, r5
    DW_TAP 56, r6
    DW_TAP 60, r7
    DW_TAP_HIGH 64, r10
    DW_TAP_HIGH 112, r11
    DW_TAP_HIGH 116, r12
    ldr r1, [r0, #120]
    mov r2, lr
    muls r1, r2
    asrs r2, r1, #16
    add r2, r9                  /* H */
    add r1, r8                  /* S */
    stm r0!, {r1, r2}
    .endm

    .equ DW_WINDOW_BYTES, 100
    .equ DW_MAX_PAIRS, 6        /* (M0NN_DW_ROW - 1) / 2 */

    .section .text.m0nn_dw3x3_sums, "ax", %progbits
    .align 2
    .global m0nn_dw3x3_sums
    .type m0nn_dw3x3_sums, %function
    .thumb_func
m0nn_dw3x3_sums:
    M0NN_SAVE_R4_R11
    sub sp, #12                 /* [sp]: rows left, [sp, #4]: bytes from past a row's windows to the next row's, [sp, #8]: entry */
    ldr r1, [r0, #8]
    str r1, [sp]
    ldr r1, [r0, #4]            /* pairs */
    lsls r2, r1, #3
    ldr r3, [r0, #12]
    subs r3, r3, r2
    str r3, [sp, #4]
    movs r2, #DW_MAX_PAIRS
    subs r2, r2, r1
    movs r3, #DW_WINDOW_BYTES
    muls r2, r3
    adr r3, 10f
    adds r2, r2, r3
    str r2, [sp, #8]
    ldr r1, [r0, #16]
    ldr r0, [r0, #0]
    ldm r1, {r1, r2, r3}        /* the weight bytes: w0-w3, w4-w7, w8 */
    sxtb r3, r3
    mov lr, r3                  /* w8 */
    asrs r3, r2, #24
    mov r12, r3                 /* w7 */
    lsls r3, r2, #8
    asrs r3, r3, #24
    mov r11, r3                 /* w6 */
    lsls r3, r2, #16
    asrs r3, r3, #24
    mov r10, r3                 /* w5 */
    sxtb r7, r2                 /* w4 */
    asrs r6, r1, #24            /* w3 */
    lsls r5, r1, #8
    asrs r5, r5, #24            /* w2 */
    lsls r4, r1, #16
    asrs r4, r4, #24            /* w1 */
    sxtb r3, r1                 /* w0 */
    ldr r1, [sp, #8]
    mov pc, r1
    .align 2
10: DW_WINDOW
    DW_WINDOW
    DW_WINDOW
    DW_WINDOW
    DW_WINDOW
    DW_WINDOW
11: ldr r1, [sp]
    subs r1, #1
    beq 2f
    str r1, [sp]
    ldr r1, [sp, #4]
    adds r0, r0, r1
    ldr r1, [sp, #8]
    mov pc, r1
2:  add sp, #12
    M0NN_RESTORE_R4_R11_RETURN
    .if (11b - 10b) - DW_MAX_PAIRS * DW_WINDOW_BYTES
    .error "DW_WINDOW_BYTES is not the size of DW_WINDOW"
    .endif
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
    ldr r3, [r0, #16]
    ldr r3, [r3]                /* the weight bytes w0-w2 */
    lsls r5, r3, #8
    asrs r5, r5, #24            /* w2 */
    lsls r4, r3, #16
    asrs r4, r4, #24            /* w1 */
    sxtb r3, r3                 /* w0 */
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
