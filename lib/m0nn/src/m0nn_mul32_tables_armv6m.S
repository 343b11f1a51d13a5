/* m0nn_mul32_tables_bad for ARMv6-M: see m0nn_internal.h. One pass over both
 * tables, 4 channels per LDM pair: a shift s is tested by the carry of
 * s + 31, set iff s lies in [-31, -1] (s + 31 >= 2^32 as unsigned), ADDS and a
 * BCC to the refusal (not taken: 1 cycle); the multipliers are ORed, a
 * negative one sets the sign bit, tested once at the end. 92 cycles per 16
 * channels on a Cortex-M0 (5.75 a channel), then 22 per 4 and 11 per channel
 * for the rest; 16 + 10 of set-up and return. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .text
    .align 2
    .global m0nn_mul32_tables_bad
    .type m0nn_mul32_tables_bad, %function
    .thumb_func

/* 4 channels: r0 the shifts, r1 the multipliers (both advance), r2 the OR. */
.macro m0nn_tables_four
    ldm r0!, {r3-r6}
    adds r3, #31
    bcc 9f
    adds r4, #31
    bcc 9f
    adds r5, #31
    bcc 9f
    adds r6, #31
    bcc 9f
    ldm r1!, {r3-r6}
    orrs r2, r3
    orrs r2, r4
    orrs r2, r5
    orrs r2, r6
.endm

m0nn_mul32_tables_bad:          /* r0 shift, r1 multiplier, r2 n >= 1 */
    push {r4-r7, lr}
    lsls r3, r2, #28
    mov r12, r3                 /* n mod 16, at bits 28-31 */
    lsrs r7, r2, #4             /* blocks of 16 */
    movs r2, #0                 /* the OR of the multipliers */
    cmp r7, #0
    beq 3f
1:  m0nn_tables_four
    m0nn_tables_four
    m0nn_tables_four
    m0nn_tables_four
    subs r7, #1
    bne 1b
3:  mov r7, r12
    lsrs r7, r7, #30            /* blocks of 4 left */
    beq 5f
4:  m0nn_tables_four
    subs r7, #1
    bne 4b
5:  mov r7, r12
    lsls r7, r7, #2
    lsrs r7, r7, #30            /* channels left: 0-3 */
    beq 8f
6:  ldm r0!, {r3}
    adds r3, #31
    bcc 9f
    ldm r1!, {r3}
    orrs r2, r3
    subs r7, #1
    bne 6b
8:  lsrs r0, r2, #31            /* 1: a negative multiplier */
    pop {r4-r7, pc}
9:  movs r0, #1                 /* a shift outside [-31, -1] */
    pop {r4-r7, pc}
    .size m0nn_mul32_tables_bad, . - m0nn_mul32_tables_bad
#endif
