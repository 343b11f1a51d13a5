/* m0nn_b4_dot8 for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h for the
 * contract and m0nn_armv6m_nibbles.inc for the loop. Stack frame: [sp] H0-H3,
 * [sp, #16] x + n, [sp, #20] acc. */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
#include "m0nn_armv6m_nibbles.inc"
    .syntax unified
    .thumb

    .section .text.m0nn_b4_dot8, "ax", %progbits
    .align 2
    .global m0nn_b4_dot8
    .type m0nn_b4_dot8, %function
    .thumb_func
m0nn_b4_dot8:
    ENTER
    push {r3}                   /* [sp + 20] = acc; [sp + 16]: x + n */
    sub sp, #4
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
    NIBBLE_DOT8 16, 0
    ldr r0, [sp, #20]
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
