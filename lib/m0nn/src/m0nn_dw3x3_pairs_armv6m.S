/* m0nn_dw3x3_pairs for ARMv6-M: see m0nn_internal.h. Per window, three rows of
 * one LDM of the row's three biased weights and, per tap, LDR of the packed
 * word, T += q, one MULS for both products, S += P, H += P >> 16 (S, H, T in
 * r8-r10): about 111 cycles per window of 18 multiply-accumulates on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"
    .section .text.m0nn_dw3x3_pairs, "ax", %progbits
    .align 2
    .global m0nn_dw3x3_pairs
    .type m0nn_dw3x3_pairs, %function
    .thumb_func
m0nn_dw3x3_pairs:
    M0NN_SAVE_R4_R11
    lsls r1, r1, #2
    mov r11, r1                 /* row step in bytes */
    mov r12, r2                 /* the weights */
    ldr r4, [sp, #36]           /* window step (fifth argument), in words */
    lsls r4, r4, #2
    str r4, [sp, #36]           /* ... in bytes */
    muls r3, r4
    adds r3, r3, r0
    push {r3}                   /* end of the windows; out is now at [sp, #44] */
1:  movs r6, #0
    mov r8, r6                  /* S: both products, modulo 2^32 */
    mov r9, r6                  /* H: the high products */
    mov r10, r6                 /* T: both sums of u */
    mov r5, r12
    movs r4, r0
    .rept 3
    ldm r5!, {r1, r2, r3}
    ldr r6, [r4, #0]
    add r10, r6
    muls r6, r1
    add r8, r6
    lsrs r6, r6, #16
    add r9, r6
    ldr r6, [r4, #4]
    add r10, r6
    muls r6, r2
    add r8, r6
    lsrs r6, r6, #16
    add r9, r6
    ldr r6, [r4, #8]
    add r10, r6
    muls r6, r3
    add r8, r6
    lsrs r6, r6, #16
    add r9, r6
    add r4, r11
    .endr
    mov r6, r8
    mov r7, r9
    lsls r1, r7, #16
    subs r6, r6, r1             /* the low products: S - (H << 16) */
    mov r1, r10
    uxth r2, r1
    lsls r2, r2, #7
    subs r6, r6, r2             /* - 128 sum u0 */
    lsrs r1, r1, #16
    lsls r1, r1, #7
    subs r7, r7, r1             /* - 128 sum u1 */
    ldr r1, [sp, #44]
    stm r1!, {r6, r7}
    str r1, [sp, #44]
    ldr r1, [sp, #40]
    adds r0, r0, r1
    ldr r1, [sp]
    cmp r0, r1
    bne 1b
    add sp, #4
    M0NN_RESTORE_R4_R11_RETURN
    .size m0nn_dw3x3_pairs, .-m0nn_dw3x3_pairs
#endif
