/* m0nn_mul32_tables_bad for ARMv6-M: see m0nn_internal.h. Four channels per
 * pass with LDM: each shift AND-ed in as s & (s - 1) (3 cycles), the sign of
 * the OR of four multipliers cleared out of the AND (5 cycles): 31 cycles per
 * 4 channels on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .text
    .align 2
    .global m0nn_mul32_tables_bad
    .type m0nn_mul32_tables_bad, %function
    .thumb_func
m0nn_mul32_tables_bad:
    push {r4-r7, lr}
    movs r3, #0
    mvns r3, r3                 /* the AND */
    subs r2, #4
    blt 2f
1:  ldm r0!, {r4-r7}
    ands r3, r4
    subs r4, #1
    ands r3, r4
    ands r3, r5
    subs r5, #1
    ands r3, r5
    ands r3, r6
    subs r6, #1
    ands r3, r6
    ands r3, r7
    subs r7, #1
    ands r3, r7
    ldm r1!, {r4-r7}
    orrs r4, r5
    orrs r4, r6
    orrs r4, r7
    asrs r4, r4, #31
    bics r3, r4                 /* a negative multiplier clears every bit */
    subs r2, #4
    bge 1b
2:  adds r2, #4
    beq 4f
3:  ldm r0!, {r4}
    ands r3, r4
    subs r4, #1
    ands r3, r4
    ldm r1!, {r5}
    asrs r5, r5, #31
    bics r3, r5
    subs r2, #1
    bne 3b
4:  mvns r0, r3                 /* 0 iff bits 5-31 of the AND are all set */
    lsrs r0, r0, #5
    pop {r4-r7, pc}
    .size m0nn_mul32_tables_bad, . - m0nn_mul32_tables_bad
#endif
