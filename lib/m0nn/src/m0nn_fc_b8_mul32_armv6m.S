/* m0nn_fc_b8_mul32 for ARMv6-M: see m0nn_internal.h. The usual layer of
 * m0nn_fc_s8_b8, _b8w, _b8p and _b4 (every argument legal, a bias, no weight
 * zero point, whole blocks of 8 rows or, with reads4, one of 4; with pairs any
 * out_size, as out_size blocks of 1 row) is checked and
 * its job (m0nn_b8_job_t) filled here, the fields loaded by LDM and stored
 * by STM where they lie together; the table check (m0nn_mul32_tables_bad)
 * runs last, before the block loop writes any output. Any other call, and
 * any argument this path finds outside its ranges, jumps (its frame
 * released) to m0nn_fc_b8_mul32_c, the portable C, which checks again and returns the
 * status in m0nn_fc_b8_mul32_check's order: this path only needs to refuse
 * every illegal call, never to name the reason. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
    .section .text.m0nn_fc_b8_mul32, "ax", %progbits
    .align 2
    .global m0nn_fc_b8_mul32
    .type m0nn_fc_b8_mul32, %function
    .thumb_func

/* The frame: the job at sp (60 bytes), the kernel at sp + 60, p at sp + 64. */
m0nn_fc_b8_mul32:               /* r0 p, r1 input, r2 output, r3 kernel */
    push {r4-r7, lr}
    sub sp, #68
    cmp r0, #0
    beq .Lcall
    cmp r1, #0
    beq .Lcall
    cmp r2, #0
    beq .Lcall
    str r1, [sp, #0]            /* job.input */
    str r2, [sp, #32]           /* job.output */
    str r3, [sp, #60]
    str r0, [sp, #64]
    movs r1, r0
    adds r1, #28
    ldm r1, {r1-r6}             /* requant, weights, bias, multiplier, shift, weight_zero_point */
    cmp r1, #1                  /* M0NN_REQUANT_MUL32 */
    bne .Lc
    cmp r6, #0
    bne .Lc                     /* a weight zero point */
    lsls r6, r2, #30
    bne .Lc                     /* weights not word-aligned */
    cmp r2, #0
    beq .Lc
    cmp r3, #0
    beq .Lc                     /* no bias */
    cmp r4, #0
    beq .Lc
    cmp r5, #0
    beq .Lc
    str r2, [sp, #4]            /* job.weights */
    add r6, sp, #16
    stm r6!, {r3-r5}            /* job.bias, .multiplier, .shift */
    ldm r0!, {r1-r7}            /* in_size, out_size, input_offset, output_offset, act_min, act_max, per_channel */
    cmp r3, #0
    bne .Lc                     /* input_offset */
    cmp r7, #1
    bhi .Lc                     /* per_channel */
    ldr r0, [sp, #60]
    ldr r0, [r0, #12]           /* max_in */
    subs r3, r1, #1
    cmp r3, r0
    bhs .Lc                     /* in_size outside [1, max_in] */
    str r1, [sp, #8]            /* job.in_size */
    lsrs r3, r2, #16
    bne .Lc                     /* out_size above 65535 (or negative) */
    lsls r3, r2, #29
    bne .Lfour                  /* a partial block */
    lsrs r1, r2, #3             /* n_blocks */
    beq .Lc                     /* out_size 0 */
    movs r3, #8                 /* rows */
.Lshape:                        /* r1 n_blocks (-1: m0nn_fc_b8_mul32_rest's layer), r3 rows */
    cmp r5, r6
    bgt .Lc                     /* act_min > act_max */
    cmp r4, #255
    bgt .Lc                     /* output_offset above 255 */
    cmp r6, #255
    bgt .Lc                     /* act_max above 255 */
    movs r0, #128
    cmn r4, r0
    blt .Lc                     /* output_offset below -128 */
    cmn r5, r0
    blt .Lc                     /* act_min below -128 */
    cmp r5, #0
    bge 1f
    cmp r6, #127
    bgt .Lc                     /* an int8 clamp (act_min < 0) above 127 */
1:  lsls r0, r7, #2
    str r0, [sp, #28]           /* job.step: 4 per channel, 0 per tensor */
    negs r0, r7
    subs r7, r2, #1
    ands r7, r0
    adds r7, #1                 /* the tables' length: out_size or 1 */
    movs r0, r1                 /* n_blocks */
    subs r1, r4, r5             /* offset_minus_min */
    subs r2, r6, r5             /* span */
    movs r4, r3                 /* rows */
    movs r3, r5                 /* act_min */
    movs r5, #32                /* bias_step */
    add r6, sp, #36
    stm r6!, {r0-r5}            /* job.n_blocks, .offset_minus_min, .span, .act_min, .rows, .bias_step */
    movs r5, r0
    ldr r0, [sp, #24]
    ldr r1, [sp, #20]
    movs r2, r7
    bl m0nn_mul32_tables_bad
    cmp r0, #0
    bne .Lc                     /* a table value out of range: refused by the C */
    ldr r4, [sp, #60]
    ldr r1, [r4, #8]
    subs r1, #1
    beq 2f                      /* pairs (1): no correction (r1 = 0) */
    ldr r0, [sp, #0]
    ldr r1, [sp, #8]
    bl m0nn_sum_u8
    lsls r1, r0, #7
    negs r1, r1                 /* -128 * sum(u): the weights' +128 */
2:  str r1, [sp, #12]           /* job.correction */
    cmp r5, #0
    blt .Lrest
    ldr r3, [r4, #0]            /* blocks */
    mov r0, sp
    blx r3
    movs r0, #0                 /* M0NN_OK */
    add sp, #68
    pop {r4-r7, pc}
.Lfour:                         /* a partial last block */
    ldr r0, [sp, #60]
    ldr r1, [r0, #8]            /* pairs: */
    movs r3, #1
    cmp r1, #0
    beq 3f
    movs r1, r2                 /* out_size blocks of 1 row: one call, one stage */
    b .Lshape
3:  subs r1, #1                 /* n_blocks -1: m0nn_fc_b8_mul32_rest's layer */
    movs r3, #8                 /* rows (of its full blocks) */
    cmp r2, #4
    bne .Lshape
    ldr r0, [r0, #4]            /* reads4: one block of 4 rows, where the loop reads 4 biases */
    cmp r0, #0
    beq .Lshape
    movs r1, #1                 /* one block */
    movs r3, #4                 /* of 4 rows */
    b .Lshape
.Lc:                            /* every other call: the portable C */
    ldr r0, [sp, #64]
    ldr r1, [sp, #0]
    ldr r2, [sp, #32]
    ldr r3, [sp, #60]
.Lcall:                         /* a tail jump: the C runs on the caller's stack depth, not below this frame */
    add sp, #68
    pop {r4-r7}
    mov r12, r3
    pop {r3}
    mov lr, r3                  /* the caller's return address */
    ldr r3, =m0nn_fc_b8_mul32_c
    push {r3}
    mov r3, r12
    pop {pc}
.Lrest:                         /* the full blocks, then a partial last one from a padded copy of its biases */
    ldr r0, [sp, #64]
    mov r1, sp
    movs r2, r4
    movs r3, #0                 /* sum(x): read with a weight zero point only */
    bl m0nn_fc_b8_mul32_rest
    movs r0, #0
    add sp, #68
    pop {r4-r7, pc}
    .ltorg
    .size m0nn_fc_b8_mul32, . - m0nn_fc_b8_mul32
#endif
