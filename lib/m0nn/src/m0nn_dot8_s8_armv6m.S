/* m0nn_dot8_s8 for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h for the contract.
 *
 * Eight accumulators stay in registers for the whole dot product: r4-r7 and
 * r8-r11 (ADD accepts high registers; MULS needs low ones). Each activation is
 * loaded once (LDRB + SXTB) and multiplied with 8 weights read by LDRB with
 * immediate offsets, 4 inputs per iteration (DOT8_LOOP in m0nn_armv6m_mac8.inc):
 *   per input 3 + 8 x (LDRB 2 + MULS 1 + ADD 1) = 35 cycles,
 *   per iteration 4 x 35 + 6 (pointers, compare, taken branch) = 146 cycles
 *   = 4.56 cycles per multiply-accumulate on a Cortex-M0 with a 1-cycle multiplier.
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_mac8.inc"
    .syntax unified
    .thumb
    .text
    .align 2
    .global m0nn_dot8_s8
    .type m0nn_dot8_s8, %function
    .thumb_func
m0nn_dot8_s8:
    push {r4-r7, lr}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    push {r4-r7}
    push {r2, r3}               /* [sp] = n, [sp + 4] = acc */
    ldr r4, [r3, #16]
    mov r8, r4
    ldr r4, [r3, #20]
    mov r9, r4
    ldr r4, [r3, #24]
    mov r10, r4
    ldr r4, [r3, #28]
    mov r11, r4
    ldmia r3!, {r4-r7}
    DOT8_LOOP
    ldr r3, [sp, #4]
    stmia r3!, {r4-r7}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    stmia r3!, {r4-r7}
    add sp, #8
    pop {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    pop {r4-r7, pc}
    .size m0nn_dot8_s8, . - m0nn_dot8_s8
#endif
