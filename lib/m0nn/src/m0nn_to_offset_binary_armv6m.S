/* m0nn_to_offset_binary for ARMv6-M: see m0nn.h. Where in and out are both
 * word-aligned, 16 bytes per pass (LDM of four words, EOR 0x80808080, STM):
 * 18 cycles per 16 bytes on a Cortex-M0; the rest, or all of an unaligned
 * pair, byte by byte (the EOR flips bit 7 of the byte stored). */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .section .text.m0nn_to_offset_binary, "ax", %progbits
    .align 2
    .global m0nn_to_offset_binary
    .type m0nn_to_offset_binary, %function
    .thumb_func
m0nn_to_offset_binary:
    push {r4-r7, lr}
    ldr r7, .Lsigns
    movs r3, r0
    orrs r3, r1
    lsls r3, r3, #30
    bne 3f                      /* not both word-aligned: bytes only */
    subs r2, #16
    blt 2f
1:  ldm r0!, {r3-r6}
    eors r3, r7
    eors r4, r7
    eors r5, r7
    eors r6, r7
    stm r1!, {r3-r6}
    subs r2, #16
    bge 1b
2:  adds r2, #16
3:  cmp r2, #0
    ble 5f
4:  ldrb r3, [r0]
    eors r3, r7
    strb r3, [r1]
    adds r0, #1
    adds r1, #1
    subs r2, #1
    bne 4b
5:  pop {r4-r7, pc}
    .align 2
.Lsigns:
    .word 0x80808080
    .size m0nn_to_offset_binary, . - m0nn_to_offset_binary
#endif
