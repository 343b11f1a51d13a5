/* m0nn_b4_dot8 for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h for the
 * contract, m0nn.h for the packed 4-bit layout.
 *
 * A word W of 8 nibbles (the biased weights v = w + 8 of rows 0-7 for one
 * input, row r at bits 4r) splits with one mask M = 0x000F000F into four
 * words E_k = (W >> 4k) & M = v_k | v_(k+4) << 16, rows k and k + 4 in
 * 16-bit lanes. With u < 2^8 and v < 2^4 a product is below 3825, so a
 * lane sums 16 of them (61200 < 2^16) without a carry: per input and 8 rows
 * LDRB 2, LDM 2, split 7, MULS 4, ADD 4 = 19 cycles (2.375 per MAC), and the
 * lanes are folded into 32-bit sums once per 16 inputs, not after every
 * product as the 8-bit loops must.
 *
 * Registers in the loop: r0 activations, r1 weights (advanced by LDM), r2 u,
 * r3/r4 scratch, r5 = M, lane accumulators L0-L3 (rows k and k + 4) in r6,
 * r7, r8, r9. A fold adds L_k to S_k (r10, r11, r12, lr: row k's sum plus
 * row k + 4's sum << 16, modulo 2^32) and L_k >> 16 to H_k on the stack (row
 * k + 4's sum, exact); at the end row k = S_k - (H_k << 16), row k + 4 = H_k.
 * Stack frame: [sp] H0-H3, [sp, #16] x + n, [sp, #20] acc. */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
    .syntax unified
    .thumb

/* IN4 k: input k of the current group of 16: 19 cycles, 34 bytes. */
    .macro IN4 k
    ldrb r2, [r0, #\k]
    ldm r1!, {r3}
    lsrs r4, r3, #4
    ands r3, r5
    muls r3, r2, r3
    adds r6, r6, r3
    lsrs r3, r4, #4
    ands r4, r5
    muls r4, r2, r4
    adds r7, r7, r4
    lsrs r4, r3, #4
    ands r3, r5
    muls r3, r2, r3
    add r8, r3
    ands r4, r5
    muls r4, r2, r4
    add r9, r4
    .endm

/* FOLD k, lane, tmp: H_k (at [sp, #4k]) += lane >> 16 (lane a low register, destroyed). */
    .macro FOLDH k, lane
    lsrs \lane, \lane, #16
    ldr r2, [sp, #(4 * \k)]
    adds r2, r2, \lane
    str r2, [sp, #(4 * \k)]
    .endm

    .section .text.m0nn_b4_dot8, "ax", %progbits
    .align 2
    .global m0nn_b4_dot8
    .type m0nn_b4_dot8, %function
    .thumb_func
m0nn_b4_dot8:
    ENTER
    adds r4, r0, r2
    push {r3}                   /* [sp + 20] = acc */
    push {r4}                   /* [sp + 16] = x + n */
    movs r6, #0
    movs r7, #0
    push {r6, r7}               /* H2, H3 */
    push {r6, r7}               /* H0, H1 */
    mov r8, r6
    mov r9, r6
    mov r10, r6
    mov r11, r6
    mov r12, r6
    mov lr, r6
    ldr r5, .Lb4_mask
    /* A first partial group of n % 16 inputs enters the unrolled body at
     * slot j = (-n) & 15, with r0 moved back by j so that the immediate
     * offsets still address x[0] onwards. */
    negs r3, r2
    movs r4, #15
    ands r3, r4
    beq 1f
    subs r0, r0, r3
    movs r4, #34
    muls r4, r3, r4
    adr r3, 1f
    adds r4, r4, r3
    mov pc, r4
    .align 2
1:  IN4 0
    IN4 1
    IN4 2
    IN4 3
    IN4 4
    IN4 5
    IN4 6
    IN4 7
    IN4 8
    IN4 9
    IN4 10
    IN4 11
    IN4 12
    IN4 13
    IN4 14
    IN4 15
2:  .if (2b - 1b) != 16 * 34
    .error "IN4 has not the size the computed entry assumes"
    .endif
    add r10, r6
    add r11, r7
    add r12, r8
    add lr, r9
    FOLDH 0, r6
    FOLDH 1, r7
    mov r3, r8
    FOLDH 2, r3
    mov r3, r9
    FOLDH 3, r3
    movs r6, #0
    movs r7, #0
    mov r8, r6
    mov r9, r6
    adds r0, #16
    ldr r3, [sp, #16]
    cmp r0, r3
    beq 3f
    b 1b                        /* the loop is too long for a conditional branch back */
3:  ldr r0, [sp, #20]
    pop {r1, r2, r3, r4}        /* H0-H3 */
    mov r5, r10
    lsls r6, r1, #16
    subs r5, r5, r6
    str r5, [r0, #0]
    str r1, [r0, #16]
    mov r5, r11
    lsls r6, r2, #16
    subs r5, r5, r6
    str r5, [r0, #4]
    str r2, [r0, #20]
    mov r5, r12
    lsls r6, r3, #16
    subs r5, r5, r6
    str r5, [r0, #8]
    str r3, [r0, #24]
    mov r5, lr
    lsls r6, r4, #16
    subs r5, r5, r6
    str r5, [r0, #12]
    str r4, [r0, #28]
    add sp, #8
    LEAVE
    .align 2
.Lb4_mask:
    .word 0x000F000F
    .size m0nn_b4_dot8, . - m0nn_b4_dot8
#endif
