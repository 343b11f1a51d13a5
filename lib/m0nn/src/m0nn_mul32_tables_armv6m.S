/* m0nn_mul32_tables_bad for ARMv6-M: see m0nn_internal.h. Two passes of 8
 * values per LDM pair: the OR of the multipliers (a negative one sets its sign
 * bit), then the shifts counted with the carry of s + 31, which is set iff s
 * lies in [-31, -1] (s + 31 >= 2^32 as unsigned): ADDS and ADCS, 2 cycles a
 * shift. 52 cycles per 8 channels on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .text
    .align 2
    .global m0nn_mul32_tables_bad
    .type m0nn_mul32_tables_bad, %function
    .thumb_func
m0nn_mul32_tables_bad:          /* r0 shift, r1 multiplier, r2 n >= 1 */
    push {r4-r7, lr}
    mov r12, r2
    movs r3, #0                 /* the OR of the multipliers */
    subs r2, #8
    blt 2f
1:  ldm r1!, {r4-r7}
    orrs r3, r4
    orrs r3, r5
    orrs r3, r6
    orrs r3, r7
    ldm r1!, {r4-r7}
    orrs r3, r4
    orrs r3, r5
    orrs r3, r6
    orrs r3, r7
    subs r2, #8
    bge 1b
2:  adds r2, #8
    beq 4f
3:  ldm r1!, {r4}
    orrs r3, r4
    subs r2, #1
    bne 3b
4:  lsrs r3, r3, #31           /* 1: a negative multiplier */
    mov lr, r3
    mov r2, r12
    movs r1, #0
    movs r3, #0                 /* the shifts in [-31, -1] */
    subs r2, #8
    blt 6f
5:  ldm r0!, {r4-r7}
    adds r4, #31
    adcs r3, r1
    adds r5, #31
    adcs r3, r1
    adds r6, #31
    adcs r3, r1
    adds r7, #31
    adcs r3, r1
    ldm r0!, {r4-r7}
    adds r4, #31
    adcs r3, r1
    adds r5, #31
    adcs r3, r1
    adds r6, #31
    adcs r3, r1
    adds r7, #31
    adcs r3, r1
    subs r2, #8
    bge 5b
6:  adds r2, #8
    beq 8f
7:  ldm r0!, {r4}
    adds r4, #31
    adcs r3, r1
    subs r2, #1
    bne 7b
8:  mov r0, r12
    subs r0, r0, r3             /* shifts outside [-31, -1] */
    mov r1, lr
    orrs r0, r1
    pop {r4-r7, pc}
    .size m0nn_mul32_tables_bad, . - m0nn_mul32_tables_bad
#endif
