/* m0nn_conv_pair_dot for ARMv6-M: see m0nn_internal.h. Per channel, four taps
 * per pass: one LDM of four packed activation words, then per tap LDRB of the
 * biased weight, one MULS for both products, S += P and H += P >> 16 (S and H
 * in r8 and r9): 34 cycles per 8 multiply-accumulates on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .section .text.m0nn_conv_pair_dot, "ax", %progbits
    .align 2
    .global m0nn_conv_pair_dot
    .type m0nn_conv_pair_dot, %function
    .thumb_func
m0nn_conv_pair_dot:
    push {r4-r7, lr}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {r4-r7}                /* the caller's r8-r11 */
    ldr r4, [sp, #36]           /* out (fifth argument) */
    mov r12, r4
    movs r4, #3
    ands r4, r2
    mov r10, r4                 /* taps after the last full pass */
    lsrs r2, r2, #2
    lsls r2, r2, #4             /* bytes of packed words in the full passes */
    mov r11, r2
    push {r0, r3}               /* packed, channels */
5:  ldr r0, [sp]                /* each channel: the window from its start */
    mov r2, r11
    adds r2, r2, r0             /* end of the full passes */
    movs r3, #0
    mov r8, r3                  /* S: both products, modulo 2^32 */
    mov r9, r3                  /* H: the high products */
    cmp r0, r2
    beq 2f
1:  ldm r0!, {r4-r7}
    ldrb r3, [r1, #0]
    muls r3, r4
    add r8, r3
    lsrs r3, r3, #16
    add r9, r3
    ldrb r3, [r1, #1]
    muls r3, r5
    add r8, r3
    lsrs r3, r3, #16
    add r9, r3
    ldrb r3, [r1, #2]
    muls r3, r6
    add r8, r3
    lsrs r3, r3, #16
    add r9, r3
    ldrb r3, [r1, #3]
    muls r3, r7
    add r8, r3
    lsrs r3, r3, #16
    add r9, r3
    adds r1, #4
    cmp r0, r2
    bne 1b
2:  mov r2, r10
    cmp r2, #0
    beq 4f
3:  ldm r0!, {r4}
    ldrb r3, [r1]
    adds r1, #1
    muls r3, r4
    add r8, r3
    lsrs r3, r3, #16
    add r9, r3
    subs r2, #1
    bne 3b
4:  mov r0, r8
    mov r2, r9
    lsls r3, r2, #16
    subs r0, r0, r3             /* the low products: S - (H << 16) */
    mov r3, r12
    stm r3!, {r0, r2}
    mov r12, r3
    ldr r3, [sp, #4]
    subs r3, #1
    str r3, [sp, #4]
    bne 5b
    add sp, #8
    pop {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    pop {r4-r7, pc}
    .size m0nn_conv_pair_dot, .-m0nn_conv_pair_dot
#endif
