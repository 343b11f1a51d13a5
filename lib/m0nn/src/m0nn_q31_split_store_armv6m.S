/* m0nn_q31_split_store for ARMv6-M (Cortex-M0/M0+, little-endian): see
 * m0nn_internal.h. One output per pass, 44 cycles on a Cortex-M0 with the
 * 1-cycle multiplier when the clamp does not bite: the accumulator (LDM), the
 * multiplier's two halfwords (LDRH), the 16 instructions of the split
 * product and step 1, the shift (one load: the shift table lies `delta` bytes
 * from the multiplier table), NEGS/ASRS/ADCS of step 2 adding the offset with
 * the carry, the clamp and the byte store. The arithmetic is
 * m0nn_requantize_q31_split's (m0nn_requant_split.h, docs/numerics.md).
 * Registers: r0 acc, r1 multiplier, r2-r7 the arithmetic; r8 delta (shift
 * table - multiplier table), r9 output, r10 acc + rows, r11 step (bytes),
 * r12 output_offset, lr act_min, [sp] act_max.
 */
#if defined(__ARM_ARCH_6M__) && !defined(__ARM_BIG_ENDIAN)
    .syntax unified
    .thumb
    .section .text.m0nn_q31_split_store, "ax", %progbits
    .align 2
    .global m0nn_q31_split_store
    .type m0nn_q31_split_store, %function
    .thumb_func
m0nn_q31_split_store:           /* r0 acc, r1 rows, r2 job, r3 output */
    push {r4-r7, lr}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {r4-r7}
    sub sp, #8
    lsls r1, r1, #2
    adds r1, r0, r1
    mov r10, r1                 /* acc + rows */
    mov r9, r3
    ldr r1, [r2, #0]            /* multiplier */
    ldr r3, [r2, #4]
    subs r3, r3, r1
    mov r8, r3                  /* delta */
    ldr r3, [r2, #8]
    mov r11, r3                 /* step */
    ldr r3, [r2, #12]
    mov r12, r3                 /* output_offset */
    ldr r3, [r2, #16]
    mov lr, r3                  /* act_min */
    ldr r3, [r2, #20]
    str r3, [sp]                /* act_max */
1:  ldm r0!, {r2}               /* x = acc */
    ldrh r3, [r1, #0]           /* ml */
    ldrh r4, [r1, #2]           /* mh */
m0nn_q31_split_store_requant:   /* local symbols: m0nn bench attributes these cycles */
    sxth r5, r2                 /* xl: x's low half, signed */
    subs r6, r2, r5             /* x - xl, a multiple of 2^16 */
    asrs r6, r6, #16            /* xh */
    asrs r2, r2, #31            /* -[x < 0] */
    movs r7, r3                 /* a copy: MULS overwrites a factor */
    muls r7, r5, r7             /* xl ml */
    muls r5, r4, r5             /* xl mh */
    muls r3, r6, r3             /* xh ml */
    muls r4, r6, r4             /* xh mh */
    asrs r7, r7, #16            /* floor(xl ml / 2^16) */
    adds r7, r7, r5             /* + xl mh */
    adds r7, r7, r3             /* S */
    lsls r4, r4, #1             /* 2 xh mh */
    adds r4, r4, r2             /* 2 xh mh - [x < 0] */
    asrs r7, r7, #15            /* carry: bit 14 of S */
    adcs r7, r7, r4             /* g */
m0nn_q31_split_store_requant_end:
    mov r2, r8
    ldr r2, [r1, r2]            /* shift */
    mov r3, r12
m0nn_q31_split_store_round_requant:
    rsbs r2, r2, #0             /* r = -shift in [1, 31] */
    asrs r7, r2                 /* carry: bit r - 1 of g */
    adcs r7, r7, r3             /* y + output_offset */
m0nn_q31_split_store_round_requant_end:
    cmp r7, lr
    blt 3f
    ldr r3, [sp]
    cmp r7, r3
    bgt 4f
2:  mov r3, r9
    strb r7, [r3]
    adds r3, r3, #1
    mov r9, r3
    add r1, r11                 /* the next multiplier (per channel) */
    cmp r0, r10
    bne 1b
    add sp, #8
    pop {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    pop {r4-r7, pc}
3:  mov r7, lr                  /* below act_min */
    b 2b
4:  movs r7, r3                 /* above act_max */
    b 2b
    .size m0nn_q31_split_store, . - m0nn_q31_split_store
#endif
