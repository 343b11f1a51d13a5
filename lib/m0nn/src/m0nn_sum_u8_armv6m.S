/* m0nn_sum_u8 for ARMv6-M: see m0nn_internal.h. Where x is word-aligned, 8
 * bytes per pass (LDM of two words): each word's bytes 0/2 and 1/3 are masked
 * into two 16-bit lanes and added, 17 cycles per 8 bytes on a Cortex-M0; the
 * lanes are folded into the total every 512 bytes, before they can overflow
 * (at most 2 x 255 per word and lane). The rest, or all of an unaligned x,
 * byte by byte. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .section .text.m0nn_sum_u8, "ax", %progbits
    .align 2
    .global m0nn_sum_u8
    .type m0nn_sum_u8, %function
    .thumb_func
m0nn_sum_u8:
    push {r4-r7, lr}
    adds r1, r1, r0             /* end */
    movs r2, #0                 /* total */
    lsls r3, r0, #30
    bne 8f                      /* not word-aligned: bytes only */
    ldr r7, .Lsum_mask
1:  subs r4, r1, r0             /* bytes left */
    lsrs r4, r4, #3
    beq 8f                      /* fewer than 8 */
    cmp r4, #64
    bls 2f
    movs r4, #64                /* at most 512 bytes before a fold */
2:  lsls r4, r4, #3
    adds r4, r4, r0
    mov r12, r4
    movs r3, #0                 /* two 16-bit lanes */
3:  ldm r0!, {r4, r5}
    lsrs r6, r4, #8
    ands r6, r7
    ands r4, r7
    adds r3, r3, r4
    adds r3, r3, r6
    lsrs r6, r5, #8
    ands r6, r7
    ands r5, r7
    adds r3, r3, r5
    adds r3, r3, r6
    cmp r0, r12
    bne 3b
    uxth r4, r3
    lsrs r3, r3, #16
    adds r2, r2, r4
    adds r2, r2, r3
    b 1b
8:  cmp r0, r1
    beq 9f
7:  ldrb r4, [r0]
    adds r0, #1
    adds r2, r2, r4
    cmp r0, r1
    bne 7b
9:  movs r0, r2
    pop {r4-r7, pc}
    .align 2
.Lsum_mask:
    .word 0x00FF00FF
    .size m0nn_sum_u8, . - m0nn_sum_u8
#endif
