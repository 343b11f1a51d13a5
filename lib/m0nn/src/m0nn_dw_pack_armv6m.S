/* m0nn_dw_pack for ARMv6-M: see m0nn_internal.h. Two values per pass: two
 * LDRSB at x + step and x + 2 step, per value LSLS #16, + lo, lo = v + 129,
 * one STM of both words: 18 cycles per two values on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .section .text.m0nn_dw_pack, "ax", %progbits
    .align 2
    .global m0nn_dw_pack
    .type m0nn_dw_pack, %function
    .thumb_func
m0nn_dw_pack:
    push {r4-r7, lr}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {r4-r7}                /* the caller's r8-r11 */
    sub sp, #24
    /* [sp]: rows left, [sp, #4]: lead, [sp, #8]: trail, [sp, #12]: plane row,
     * [sp, #16]: bytes of the value pairs, [sp, #20]: n odd */
    ldr r1, [r0, #8]
    str r1, [sp]
    ldr r1, [r0, #20]
    str r1, [sp, #4]
    ldr r1, [r0, #28]
    str r1, [sp, #8]
    ldr r1, [r0, #0]
    str r1, [sp, #12]
    ldr r1, [r0, #32]
    mov r8, r1                  /* pad_lo */
    ldr r2, [r0, #36]
    mov r9, r2                  /* pad_hi */
    adds r1, r1, r2
    mov r10, r1                 /* a padding word */
    ldr r1, [r0, #12]
    mov r11, r1                 /* row_in */
    ldr r5, [r0, #16]           /* step */
    lsls r6, r5, #1             /* 2 step */
    ldr r1, [r0, #4]
    subs r1, r1, r5
    mov r12, r1                 /* the row's x - step */
    ldr r2, [r0, #24]
    movs r1, #1
    ands r1, r2
    str r1, [sp, #20]
    lsrs r2, r2, #1
    muls r2, r6
    str r2, [sp, #16]
3:  ldr r1, [sp, #12]
    mov r0, r12
    ldr r7, [sp, #4]
    cmp r7, #0
    beq 2f
    mov r2, r10
1:  stm r1!, {r2}
    subs r7, #1
    bne 1b
2:  mov r3, r8                  /* lo */
    ldr r7, [sp, #16]
    adds r7, r7, r0
    mov lr, r7
    cmp r0, r7
    beq 6f
5:  ldrsb r4, [r0, r5]
    lsls r2, r4, #16
    adds r2, r2, r3
    adds r4, #129
    ldrsb r3, [r0, r6]
    lsls r7, r3, #16
    adds r7, r7, r4
    adds r3, #129
    stm r1!, {r2, r7}
    adds r0, r0, r6
    cmp r0, lr
    bne 5b
6:  ldr r7, [sp, #20]
    cmp r7, #0
    beq 7f
    ldrsb r4, [r0, r5]          /* an odd last value */
    lsls r7, r4, #16
    adds r7, r7, r3
    stm r1!, {r7}
    adds r4, #129
    movs r3, r4
7:  ldr r7, [sp, #8]
    cmp r7, #0
    beq 8f
    add r3, r9
    stm r1!, {r3}
    subs r7, #1
    beq 8f
    mov r2, r10
9:  stm r1!, {r2}
    subs r7, #1
    bne 9b
8:  ldr r1, [sp, #12]
    adds r1, #56                /* 4 * M0NN_DW_ROW */
    str r1, [sp, #12]
    add r12, r11
    ldr r1, [sp]
    subs r1, #1
    str r1, [sp]
    bne 3b
    add sp, #24
    pop {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    pop {r4-r7, pc}
    .size m0nn_dw_pack, .-m0nn_dw_pack
#endif
