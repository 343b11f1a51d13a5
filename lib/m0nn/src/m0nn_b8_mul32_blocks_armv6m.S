/* m0nn_b8_mul32_blocks for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h.
 *
 * Per block: accumulators = bias + correction straight into r4-r11, the dot
 * loop of m0nn_dot8_s8 (4.56 cycles per MAC; a last block of at most 4 rows
 * runs the 4-row loop), then the MUL32 requantization of
 * each stored row in about 26 cycles: MULS, ASRS by the right shift, and ADCS
 * of the carry, which is the last bit shifted out: floor(v / 2^r) + bit r-1 of
 * v equals floor((v + 2^(r-1)) / 2^r), the rounding of m0nn_requantize_mul32
 * (r >= 1, which the argument check guarantees for MUL32).
 * Stack: [sp, #0..31] accumulators, [sp, #32] the job.
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_mac8.inc"
    .syntax unified
    .thumb
    .text
    .align 2
    .global m0nn_b8_mul32_blocks
    .type m0nn_b8_mul32_blocks, %function
    .thumb_func
m0nn_b8_mul32_blocks:
    push {r4-r7, lr}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {r4-r7}
    push {r0}
    sub sp, #32

.Lblock:
    ldr r0, [sp, #32]
    ldr r1, [r0, #16]           /* bias */
    ldr r2, [r0, #12]           /* correction */
    ldr r3, [r1, #16]
    adds r3, r3, r2
    mov r8, r3
    ldr r3, [r1, #20]
    adds r3, r3, r2
    mov r9, r3
    ldr r3, [r1, #24]
    adds r3, r3, r2
    mov r10, r3
    ldr r3, [r1, #28]
    adds r3, r3, r2
    mov r11, r3
    ldmia r1!, {r4-r7}
    adds r4, r4, r2
    adds r5, r5, r2
    adds r6, r6, r2
    adds r7, r7, r2
    ldr r1, [r0, #16]
    ldr r3, [r0, #56]           /* bias_step */
    adds r1, r1, r3
    str r1, [r0, #16]
    ldr r1, [r0, #4]            /* weights */
    ldr r2, [r0, #8]            /* n */
    ldr r0, [r0, #0]            /* input */
    str r2, [sp]                /* n for the loop (the accumulator scratch is free now) */
    ldr r3, [sp, #32]
    ldr r3, [r3, #52]           /* rows */
    cmp r3, #4
    bgt 10f
    DOT4_LOOP                   /* a last block of 1-4 rows: half the work */
    b 11f
10: DOT8_LOOP
11:
    ldr r0, [sp, #32]
    str r1, [r0, #4]            /* the next block's weights */
    mov r0, sp
    stmia r0!, {r4-r7}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    stmia r0!, {r4-r7}

    ldr r7, [sp, #32]
    ldr r3, [r7, #40]
    mov r8, r3                  /* output offset */
    ldr r3, [r7, #44]
    mov r9, r3                  /* act_min */
    ldr r3, [r7, #48]
    mov r10, r3                 /* act_max */
    ldr r3, [r7, #28]
    mov r11, r3                 /* step (bytes) */
    ldr r3, [r7, #52]           /* rows */
    lsls r3, r3, #2
    add r3, sp
    mov r12, r3                 /* end of the stored accumulators */
    ldr r0, [r7, #20]           /* multiplier */
    ldr r1, [r7, #24]           /* shift */
    ldr r2, [r7, #32]           /* output */
    mov r3, sp
    movs r6, #0
5:  ldmia r3!, {r4}
    ldr r5, [r0]                /* multiplier */
    ldr r7, [r1]                /* shift */
m0nn_b8_requant:                /* local symbols: m0nn bench attributes these cycles */
    muls r4, r5, r4
    rsbs r7, r7, #0             /* right shift in [1, 31] */
    asrs r4, r4, r7
    adcs r4, r4, r6             /* + the rounding bit */
m0nn_b8_requant_end:
    add r4, r8
    cmp r4, r9
    bge 6f
    mov r4, r9
6:  cmp r4, r10
    ble 7f
    mov r4, r10
7:  strb r4, [r2]
    adds r2, #1
    add r0, r11
    add r1, r11
    cmp r3, r12
    bne 5b

    ldr r7, [sp, #32]
    str r0, [r7, #20]
    str r1, [r7, #24]
    str r2, [r7, #32]
    ldr r3, [r7, #36]
    subs r3, #1
    str r3, [r7, #36]
    beq 8f
    b .Lblock
8:  add sp, #36
    pop {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    pop {r4-r7, pc}
    .size m0nn_b8_mul32_blocks, . - m0nn_b8_mul32_blocks
#endif
