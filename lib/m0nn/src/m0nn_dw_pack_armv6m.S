/* m0nn_dw_pack for ARMv6-M: see m0nn_internal.h. Two values per pass: two
 * LDRSB at x + step and x + 2 step, per value LSLS #16, + lo, lo = v + 129,
 * one STM of both words: 18 cycles per two values on a Cortex-M0, about 28
 * more per row. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"
    .section .text.m0nn_dw_pack, "ax", %progbits
    .align 2
    .global m0nn_dw_pack
    .type m0nn_dw_pack, %function
    .thumb_func
m0nn_dw_pack:
    M0NN_SAVE_R4_R11
    sub sp, #8                  /* [sp]: rows left, [sp, #4]: n odd | tail << 1 */
    ldr r1, [r0, #8]
    str r1, [sp]
    ldr r1, [r0, #28]
    mov r8, r1                  /* pad_lo */
    ldr r1, [r0, #32]
    mov r9, r1                  /* pad_hi */
    ldr r5, [r0, #16]           /* step */
    lsls r6, r5, #1             /* 2 step */
    ldr r2, [r0, #20]           /* n */
    ldr r3, [r0, #24]           /* tail */
    movs r1, #1
    ands r1, r2
    lsls r3, r3, #1
    orrs r3, r1
    str r3, [sp, #4]
    lsrs r1, r2, #1
    muls r1, r6
    mov r12, r1                 /* bytes of the value pairs */
    movs r1, r2
    muls r1, r5
    ldr r4, [r0, #12]
    subs r4, r4, r1
    mov r11, r4                 /* row_in - n step */
    ldr r3, [r0, #24]           /* words written per row: n + tail */
    adds r3, r3, r2
    lsls r3, r3, #2
    movs r4, #56                /* 4 * M0NN_DW_ROW */
    subs r4, r4, r3
    mov r10, r4                 /* plane bytes from past a row's words to the next row */
    ldr r1, [r0, #0]
    ldr r0, [r0, #4]
    subs r0, r0, r5             /* x - step */
3:  mov r3, r8                  /* lo */
    mov r7, r12
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
6:  ldr r7, [sp, #4]
    lsrs r7, r7, #1
    bcc 7f
    ldrsb r4, [r0, r5]          /* an odd last value */
    lsls r2, r4, #16
    adds r2, r2, r3
    stm r1!, {r2}
    adds r4, #129
    movs r3, r4
    adds r0, r0, r5
7:  cmp r7, #0
    beq 8f
    add r3, r9
    stm r1!, {r3}
8:  add r1, r10
    add r0, r11
    ldr r7, [sp]
    subs r7, #1
    str r7, [sp]
    bne 3b
    add sp, #8
    M0NN_RESTORE_R4_R11_RETURN
    .size m0nn_dw_pack, .-m0nn_dw_pack
#endif
