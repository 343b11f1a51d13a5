/* m0nn_dw_pack for ARMv6-M: see m0nn_internal.h. Two values per step: two
 * LDRSB at x + step and x + 2 step, per value LSLS #16, + lo, lo = v + 129, one
 * STM of both words: 14 cycles per two values on a Cortex-M0. A row's steps are
 * straight-line code entered at the step that leaves n / 2 of them; then the
 * row's end (an odd last value, the tail word) as n and tail select: about 20
 * cycles more per row. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"

    .macro DW_PACK2
    ldrsb r4, [r0, r5]
    lsls r2, r4, #16
    adds r2, r2, r3
    adds r4, #129
    ldrsb r3, [r0, r6]
    lsls r7, r3, #16
    adds r7, r7, r4
    adds r3, #129
    stm r1!, {r2, r7}
    adds r0, r0, r6
    .endm

    .equ DW_PACK2_BYTES, 20
    .equ DW_PACK2_MAX, 7        /* M0NN_DW_ROW / 2: at most M0NN_DW_ROW values a row */

    .section .text.m0nn_dw_pack, "ax", %progbits
    .align 2
    .global m0nn_dw_pack
    .type m0nn_dw_pack, %function
    .thumb_func
m0nn_dw_pack:
    M0NN_SAVE_R4_R11
    sub sp, #4                  /* [sp]: the row's end (odd last value, tail) */
    ldr r1, [r0, #28]
    mov r8, r1                  /* pad_lo */
    ldr r1, [r0, #32]
    mov r9, r1                  /* pad_hi */
    ldr r5, [r0, #16]           /* step */
    lsls r6, r5, #1             /* 2 step */
    ldr r2, [r0, #20]           /* n */
    lsrs r3, r2, #1
    movs r4, #DW_PACK2_MAX
    subs r4, r4, r3
    movs r1, #DW_PACK2_BYTES
    muls r4, r1
    adr r1, 10f
    adds r4, r4, r1
    mov lr, r4                  /* entry of the row's steps */
    movs r1, #1
    ands r1, r2                 /* n odd */
    ldr r3, [r0, #24]           /* tail */
    lsls r4, r3, #1
    adds r4, r4, r1
    lsls r4, r4, #3
    adr r1, 12f
    adds r4, r4, r1
    str r4, [sp]                /* the row's end: 12f + 8 (2 tail + odd) */
    adds r3, r3, r2             /* words written per row: n + tail */
    lsls r3, r3, #2
    movs r4, #56                /* 4 * M0NN_DW_ROW */
    subs r4, r4, r3
    mov r10, r4                 /* plane bytes from past a row's words to the next row */
    muls r2, r5
    ldr r4, [r0, #12]           /* row_in */
    subs r3, r4, r2
    mov r11, r3                 /* row_in - n step */
    ldr r3, [r0, #8]            /* rows */
    muls r4, r3
    ldr r1, [r0, #0]
    ldr r0, [r0, #4]
    subs r0, r0, r5             /* x - step */
    adds r4, r4, r0
    mov r12, r4                 /* x - step past the last row */
3:  mov r3, r8                  /* lo */
    mov pc, lr
    .align 2
10: DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
11: ldr r7, [sp]
    mov pc, r7
    .align 2
12: b 8f                        /* even, no tail: 8 bytes each */
    nop
    nop
    nop
    ldrsb r4, [r0, r5]          /* odd, no tail: the last value's word */
    b 14f
    nop
    nop
    add r3, r9                  /* even, tail */
    stm r1!, {r3}
    b 8f
    nop
    ldrsb r4, [r0, r5]          /* odd, tail */
    lsls r2, r4, #16
    adds r2, r2, r3
    b 15f
14: lsls r2, r4, #16
    adds r2, r2, r3
    stm r1!, {r2}
    adds r0, r0, r5
    b 8f
15: adds r4, #129
    add r4, r9
    stm r1!, {r2, r4}
    adds r0, r0, r5
8:  add r1, r10
    add r0, r11
    cmp r0, r12
    bne 3b
    add sp, #4
    M0NN_RESTORE_R4_R11_RETURN
    .if (11b - 10b) - DW_PACK2_MAX * DW_PACK2_BYTES
    .error "DW_PACK2_BYTES is not the size of DW_PACK2"
    .endif
    .size m0nn_dw_pack, .-m0nn_dw_pack
#endif
