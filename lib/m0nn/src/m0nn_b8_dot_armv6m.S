/* m0nn_b8_dot8 and m0nn_b8_dot4 for ARMv6-M (Cortex-M0/M0+): see
 * m0nn_internal.h for the contract and m0nn_armv6m_lanes.inc for the loops
 * (two products per multiply; 3.72 cycles per multiply-accumulate for 8 rows
 * on a Cortex-M0 with the 1-cycle multiplier). */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
    .syntax unified
    .thumb
    .text
    .align 2
    .global m0nn_b8_dot8
    .type m0nn_b8_dot8, %function
    .thumb_func
m0nn_b8_dot8:
    ENTER
    adds r4, r0, r2
    push {r3, r4}               /* [sp] = acc, [sp + 4] = x + n */
    ldr r5, .Ldot_mask
    ZERO_ACC8
    DOT8 4
    ldr r0, [sp]
    UNLANE8 r0
    b .Ldot_done
    .size m0nn_b8_dot8, . - m0nn_b8_dot8

    .global m0nn_b8_dot4
    .type m0nn_b8_dot4, %function
    .thumb_func
m0nn_b8_dot4:
    ENTER
    push {r3, r4}               /* [sp] = acc */
    ldr r5, .Ldot_mask
    movs r6, #0
    movs r7, #0
    mov r8, r6
    mov r9, r6
    DOT4
    ldr r0, [sp]
    UNLANE4 r0
.Ldot_done:
    add sp, #8
    LEAVE
    .align 2
.Ldot_mask:
    .word 0x00FF00FF
    .size m0nn_b8_dot4, . - m0nn_b8_dot4
#endif
