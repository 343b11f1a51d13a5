/* m0nn_b8_dot8/dot4 (byte layout) and m0nn_b8w_dot8/dot4 (wide layout) for
 * ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h for the contract and
 * m0nn_armv6m_lanes.inc for the loops (two products per multiply). Each pair
 * in its own section, so a program links only the layout it uses. */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
    .syntax unified
    .thumb

/* DOTS prefix, wide: \prefix\()_dot8 and \prefix\()_dot4. */
    .macro DOTS prefix, wide
    .section .text.\prefix\()_dot, "ax", %progbits
    .align 2
    .global \prefix\()_dot8
    .type \prefix\()_dot8, %function
    .thumb_func
\prefix\()_dot8:
    ENTER
    adds r4, r0, r2
    push {r3, r4}               /* [sp] = acc, [sp + 4] = x + n */
    .if \wide
    mov r5, r4
    .else
    ldr r5, .Ldot_mask\@
    .endif
    ZERO_ACC8
    DOT8 4, \wide
    ldr r0, [sp]
    UNLANE8 r0
    b .Ldot_done\@
    .size \prefix\()_dot8, . - \prefix\()_dot8

    .global \prefix\()_dot4
    .type \prefix\()_dot4, %function
    .thumb_func
\prefix\()_dot4:
    ENTER
    push {r3, r4}               /* [sp] = acc */
    .if !\wide
    ldr r5, .Ldot_mask\@
    .endif
    movs r6, #0
    movs r7, #0
    mov r8, r6
    mov r9, r6
    DOT4 \wide
    ldr r0, [sp]
    UNLANE4 r0
.Ldot_done\@:
    add sp, #8
    LEAVE
    .align 2
.Ldot_mask\@:
    .word 0x00FF00FF
    .size \prefix\()_dot4, . - \prefix\()_dot4
    .endm

    DOTS m0nn_b8, 0
    DOTS m0nn_b8w, 1
#endif
