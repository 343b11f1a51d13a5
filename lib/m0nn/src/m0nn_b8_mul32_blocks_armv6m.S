/* m0nn_b8_mul32_blocks (byte layout), m0nn_b8w_mul32_blocks (wide layout) and
 * m0nn_b8p_mul32_blocks (pairs layout, m0nn_armv6m_pairs.inc) for ARMv6-M
 * (Cortex-M0/M0+): see m0nn_internal.h. Each in its own section.
 *
 * Per block: the accumulators start at bias + correction (in the S/H pairs of
 * m0nn_armv6m_lanes.inc: S = low row + (high row << 16), H = high row), the
 * lane loop (DOT8, or DOT4 for a last block of at most 4 rows), the row sums
 * to the stack, then the MUL32 requantization of each row: MULS, ASRS by the
 * right shift and ADCS of the carry, which is the last bit shifted out:
 * floor(v / 2^r) + bit r-1 of v equals floor((v + 2^(r-1)) / 2^r), the
 * rounding of m0nn_requantize_mul32 (r >= 1, which the argument check
 * guarantees for MUL32); the same ADCS adds output_offset - act_min. Per
 * channel the 8 rows are unrolled (17 cycles a row, no loop counter): a block
 * of `rows` < 8 outputs stores its row sums at slot j = 8 - rows and enters
 * the unrolled rows at row j with the output pointer j back; a negative
 * v = y + offset - act_min is cleared without a branch. Per tensor M and the
 * shift stay in registers and both clamps branch. Either way the upper clamp
 * is one unsigned compare of v against act_max - act_min.
 * Once per call the job's values go to the frame (F_*), with what does not
 * change from block to block worked out there: where a block's requantization
 * starts (per tensor, or row j per channel), the output's end, the slot of the
 * row sums. A block then costs, besides its loop and rows, its S/H start
 * values, one LDM of x, weights and n, one LDM of the requantization values
 * and one STM of the advanced multiplier, shift and output pointers. Only
 * full blocks repeat (a last partial block is a call of its own), and they step
 * the bias 8 rows at a time (m0nn_fc_b8_mul32 sends a NULL bias block by
 * block). On return the job's weights, bias, multiplier, shift and output are
 * advanced; n_blocks is left.
 * The pairs layout has a function of its own (at the end of this file): passes
 * of 4 rows requantized from their registers.
 * Stack: [sp, #0..47] row sums (row r of a block at slot 8 - rows + r), then
 * the frame; the wide loop keeps x + n in r5 (it needs no mask), the byte
 * loop reads it at F_END.
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
#include "m0nn_b8p_max_in.h"
#include "m0nn_armv6m_pairs.inc"
    .syntax unified
    .thumb

    .set ROW_BYTES, 26

/* ROW name, k: row slot k of the per-channel requantization: v = requant(acc)
 * + offset - act_min, cleared when negative; above act_max - act_min it
 * branches to its clamp (\name\()_hi\k); stored at output[k] + act_min.
 * 17 cycles, ROW_BYTES bytes (the computed entry relies on it). */
    .macro ROW name, k
    ldr r4, [sp, #(4 * \k)]
    ldm r0!, {r5}
    ldm r1!, {r3}
\name\()_r\k\()_requant:           /* local symbols: m0nn bench attributes these cycles */
    muls r4, r5, r4
    rsbs r3, r3, #0             /* right shift in [1, 31] */
    asrs r4, r3
    adcs r4, r7                 /* + the rounding bit + offset - act_min */
\name\()_r\k\()_requant_end:
    asrs r5, r4, #31
    bics r4, r5
    cmp r4, r10
    bhi .L\name\()_hi\k
.L\name\()_back\k:
    add r4, r11
    strb r4, [r2, #\k]
    .endm

/* HI name, k: the upper clamp of row slot k (rare). */
    .macro HI name, k
.L\name\()_hi\k:
    mov r4, r10
    b .L\name\()_back\k
    .endm

/* The frame: row sums, then the job's values the blocks read, copied once per
 * call (no job pointer to reload per block). F_M..F_OFFMIN are loaded by one
 * LDM before the requantization of each block (in register order). */
    .equ F_X, 48        /* x, w, n: one LDM before each loop */
    .equ F_W, 52
    .equ F_N, 56
    .equ F_END, 60      /* x + n: the byte layout's loop end */
    .equ F_BIAS, 64     /* the next block's biases */
    .equ F_CORR, 68
    .equ F_M, 72        /* multiplier, shift, output (less the entry slot j per channel) */
    .equ F_S, 76
    .equ F_OUT, 80
    .equ F_RQ, 84       /* where the requantization of a block starts */
    .equ F_SPAN, 88
    .equ F_MIN, 92
    .equ F_OFFMIN, 96
    .equ F_OEND, 100    /* the output after the last block */
    .equ F_SLOT, 104    /* sp + 4 j: where UNLANE stores the row sums */
    .equ F_ROWS, 108
    .equ F_JOB, 112
    .equ FRAME, 120

/* S_H03: r2-r5 (rows 0-3 + correction) into S/H pairs r6/r7, r8/r9. */
    .macro S_H03
    mov r9, r5                  /* H row 3 */
    lsls r5, r5, #16
    adds r5, r5, r3
    mov r8, r5                  /* S rows 1/3 */
    lsls r6, r4, #16
    adds r6, r6, r2             /* S rows 0/2 */
    mov r7, r4                  /* H row 2 */
    .endm

/* MUL32_BLOCKS name, wide: wide 0 the byte layout, 1 the wide one. */
    .macro MUL32_BLOCKS name, wide
    .set frame_bytes, FRAME
    .section .text.\name, "ax", %progbits
    .align 2
    .global \name
    .type \name, %function
    .thumb_func
\name:
    ENTER
    sub sp, #frame_bytes
    str r0, [sp, #F_JOB]
    ldm r0!, {r1-r5}            /* x, w, n, correction, bias */
    str r1, [sp, #F_X]
    str r2, [sp, #F_W]
    str r3, [sp, #F_N]
    adds r1, r1, r3
    str r1, [sp, #F_END]
    str r4, [sp, #F_CORR]
    str r5, [sp, #F_BIAS]
    ldm r0!, {r1-r5}            /* multiplier, shift, step, output, n_blocks */
    str r1, [sp, #F_M]
    str r2, [sp, #F_S]
    ldm r0, {r0, r1, r2, r6}    /* offset - act_min, span, act_min, rows */
    str r0, [sp, #F_OFFMIN]
    str r1, [sp, #F_SPAN]
    str r2, [sp, #F_MIN]
    str r6, [sp, #F_ROWS]
    muls r5, r6, r5
    adds r5, r5, r4
    str r5, [sp, #F_OEND]
    movs r0, #8                 /* the entry slot j = 8 - rows */
    subs r0, r0, r6
    lsls r1, r0, #2
    add r1, sp, r1
    str r1, [sp, #F_SLOT]
    cmp r3, #0                  /* step: 4 per channel, 0 per tensor */
    beq 1f
    subs r4, r4, r0             /* per channel: enter the unrolled rows at row j, */
    movs r1, #ROW_BYTES         /* the output j back */
    muls r1, r0, r1
    adr r2, .Lrows\@
    adds r1, r1, r2
    b 2f
1:  adr r1, .Lper_tensor\@
2:  str r4, [sp, #F_OUT]
    str r1, [sp, #F_RQ]
    cmp r6, #4
    bhi 3f
    b .Lfour\@
3:  b .Lblock\@

    .align 2
.Lper_tensor\@:                 /* M and the shift stay in registers */
    ldr r6, [sp, #F_SLOT]       /* row sums from slot j */
    ldr r3, [sp, #F_ROWS]
    adds r3, r2, r3
    mov lr, r3                  /* end of this block's outputs */
    ldr r5, [r0]
    ldr r3, [r1]
    rsbs r3, r3, #0
5:  ldm r6!, {r4}
\name\()_pt_requant:
    muls r4, r5, r4
    asrs r4, r3
    adcs r4, r7                 /* + the rounding bit + offset - act_min */
\name\()_pt_requant_end:
    cmp r4, r10
    bhi 9f
6:  add r4, r11
    strb r4, [r2]
    adds r2, #1
    cmp r2, lr
    bne 5b
    b .Lblock_end\@
9:  blt 10f                     /* v < 0 (signed) or v > act_max - act_min */
    mov r4, r10
    b 6b
10: movs r4, #0
    b 6b

    HI \name, 0                 /* the upper clamps of the rows below (in reach of their BHI) */
    HI \name, 1
    HI \name, 2
    HI \name, 3
    HI \name, 4
    HI \name, 5
    HI \name, 6
    HI \name, 7
    .align 2
.Lrows\@:
    ROW \name, 0
    ROW \name, 1
    ROW \name, 2
    ROW \name, 3
    ROW \name, 4
    ROW \name, 5
    ROW \name, 6
    ROW \name, 7
.Lrows_end\@:
    .if (.Lrows_end\@ - .Lrows\@) != 8 * ROW_BYTES
    .error "ROW has not the size the computed entry assumes"
    .endif
    adds r2, #8

.Lblock_end\@:                  /* r0, r1: the next M and shift, r2: the next output */
    add r3, sp, #F_M
    stm r3!, {r0, r1, r2}
    ldr r3, [sp, #F_OEND]
    cmp r2, r3
    beq 8f
    b .Lblock\@
8:  ldr r7, [sp, #F_JOB]        /* the job as m0nn_internal.h says: advanced */
    ldr r3, [sp, #F_W]
    str r3, [r7, #4]
    ldr r3, [sp, #F_BIAS]
    str r3, [r7, #16]
    str r0, [r7, #20]
    str r1, [r7, #24]
    str r2, [r7, #32]
    add sp, #frame_bytes
    LEAVE

.Lfour\@:                       /* a single block of at most 4 rows */
    ldr r0, [sp, #F_BIAS]
    ldr r1, [sp, #F_CORR]
    BIAS4
    S_H03
    add r3, sp, #F_X
    ldm r3!, {r0-r2}
    .if !\wide
    ldr r5, .Lmask\@           /* the wide loop needs no mask */
    .endif
    DOT4 \wide
    ldr r0, [sp, #F_SLOT]
    UNLANE4 r0
    b .Lrequant\@

.Lblock\@:
    ldr r0, [sp, #F_BIAS]       /* padded to the block */
    ldr r1, [sp, #F_CORR]
    BIAS4
    S_H03
    BIAS4
    str r0, [sp, #F_BIAS]
    mov r11, r4                 /* H row 6 */
    mov lr, r5                  /* H row 7 */
    lsls r4, r4, #16
    adds r4, r4, r2
    mov r10, r4                 /* S rows 4/6 */
    lsls r5, r5, #16
    adds r5, r5, r3
    mov r12, r5                 /* S rows 5/7 */
    add r3, sp, #F_X
    ldm r3!, {r0-r2}            /* x, weights, n */
    .if \wide
    adds r5, r0, r2
    .else
    ldr r5, .Lmask\@
    .endif
    DOT8 F_END, \wide
    ldr r0, [sp, #F_SLOT]
    UNLANE8 r0

.Lrequant\@:                    /* r1: the next block's weights */
    str r1, [sp, #F_W]
    add r3, sp, #F_M
    ldm r3!, {r0, r1, r2, r4, r5, r6, r7}   /* M, shift, output, entry, span, act_min, offset - act_min */
    mov r10, r5
    mov r11, r6
    mov pc, r4

    .align 2
.Lmask\@:
    .word 0x00FF00FF
    .size \name, . - \name
    .endm

    MUL32_BLOCKS m0nn_b8_mul32_blocks, 0
    MUL32_BLOCKS m0nn_b8w_mul32_blocks, 1
/* m0nn_b8p_mul32_blocks: the pairs layout (m0nn_armv6m_pairs.inc). Once per
 * call the input is staged into the frame; then the call's R = n_blocks * rows
 * outputs run as passes of 4 rows, each the unrolled sequence (BLX r8, the
 * sums in r0-r3 from the 4 biases) and the MUL32 requantization of its rows
 * straight from r0-r3, row 0 first: r0 then holds offset - act_min for the
 * ADCS of rows 1-3. A last pass of m = R mod 4 rows stores its sums over the
 * (then dead) stage and requantizes m of them in a loop (.Lp_tail_*).
 * Registers across passes: r8 the sequence's entry, r9 the biases (16 bytes a
 * pass), r10 act_max - act_min, r11 act_min, r12 offset - act_min; in the
 * frame the weights (P_W) and the rows' multiplier, shift and output pointers
 * (P_M, P_S, P_O: one LDM and one STM a pass; per tensor the multiplier and
 * the right shift themselves). */
    .equ P_W, 0
    .equ P_M, 4         /* P_M, P_S, P_O: in register order (r5-r7 in the rows) */
    .equ P_S, 8
    .equ P_O, 12
    .equ P_END, 16      /* the output after the full passes */
    .equ P_OUTEND, 20   /* the output after the call */
    .equ P_JOB, 24
    .equ P_STAGE, 28    /* the staged input, PAIRS_MAX words */
    .equ P_FRAME, P_STAGE + 4 * PAIRS_MAX

/* PSCALE name, mode, tag, k: rk = requant(rk) + offset - act_min, per
 * channel (mode c: multiplier and shift loaded from r5, r6, advanced) or per
 * tensor (t: r5 the multiplier, r6 the right shift); tag names this copy's
 * labels. The offset comes from r12 for k = 0, from r0 otherwise. ASRS by the
 * right shift leaves its last bit out in the carry, and ADCS adds it: the
 * rounding of m0nn_requantize_mul32. */
    .macro PSCALE name, mode, tag, k
    .ifc \mode, c
    ldm r5!, {r4}
\name\()_\tag\k\()m_requant:
    muls r\k, r4
\name\()_\tag\k\()m_requant_end:
    ldm r6!, {r4}
\name\()_\tag\k\()_requant:
    rsbs r4, r4, #0             /* right shift in [1, 31] */
    asrs r\k, r4
    .else
\name\()_\tag\k\()_requant:
    muls r\k, r5
    asrs r\k, r6
    .endif
    .if \k == 0                 /* (the MOV is not counted as requantization) */
\name\()_\tag\()0_requant_end:
    mov r4, r12                 /* offset - act_min (MOV keeps the carry) */
\name\()_\tag\()0o_requant:
    adcs r0, r4
\name\()_\tag\()0o_requant_end:
    .else
    adcs r\k, r0                /* + the rounding bit + offset - act_min */
\name\()_\tag\k\()_requant_end:
    .endif
    .endm

/* PROW name, mode, tag, k: row k of a pass (sum in rk): PSCALE, v cleared when
 * negative, above act_max - act_min to its clamp (rare), stored at r7[k] +
 * act_min. 15 cycles per channel (16 for row 0), 11 per tensor (12). */
    .macro PROW name, mode, tag, k
    PSCALE \name, \mode, \tag, \k
    asrs r4, r\k, #31
    bics r\k, r4
    cmp r\k, r10
    bhi .Lp_\tag\()_hi\k
.Lp_\tag\()_back\k:
    add r\k, r11
    strb r\k, [r7, #\k]
    .endm

/* PHI tag: the upper clamps of a copy of the rows (rare). */
    .macro PHI tag
    .irp k, 0, 1, 2, 3
.Lp_\tag\()_hi\k:
    mov r\k, r10
    b .Lp_\tag\()_back\k
    .endr
    .endm

/* PBODY name, mode, tag: one pass of 4 rows: the biases, the sequence, the
 * rows from r0-r3, the pointers back to the frame. 31 cycles besides the
 * sequence and the rows, with the loop test. */
    .macro PBODY name, mode, tag
    mov r4, r9
    ldm r4!, {r0-r3}            /* the 4 biases: the sums' start */
    mov r9, r4
    ldr r5, [sp, #P_W]
    blx r8
    str r5, [sp, #P_W]
    add r4, sp, #P_M
    ldm r4!, {r5, r6, r7}
    PROW \name, \mode, \tag, 0
    mov r0, r12
    PROW \name, \mode, \tag, 1
    PROW \name, \mode, \tag, 2
    PROW \name, \mode, \tag, 3
    adds r7, #4
    add r4, sp, #P_M
    stm r4!, {r5, r6, r7}
    .endm

/* PPASS name, mode, twice: the pass loop (twice 1: two passes an iteration,
 * an odd count of passes entering at the second; 136 bytes for 3 cycles a
 * pass, spent per channel, the usual mode), then the last pass of m < 4 rows. */
    .macro PPASS name, mode, twice
    PHI \mode
.Lp_pass_\mode:
    PBODY \name, \mode, \mode
    .if \twice
.Lp_pass2_\mode:
    PBODY \name, \mode, \mode\()2
    .endif
    ldr r4, [sp, #P_END]
    cmp r7, r4
    bne .Lp_pass_\mode
    ldr r4, [sp, #P_OUTEND]
    cmp r7, r4
    bne .Lp_tail_\mode
    b .Lp_exit
    .if \twice
    PHI \mode\()2
    .endif
.Lp_tail_\mode:                 /* m = P_OUTEND - r7 rows (1-3) at r7 */
    ldr r4, [sp, #P_OUTEND]
    subs r4, r4, r7
    mov r6, r9
    ldm r6!, {r0}               /* m biases: none read past the caller's */
    cmp r4, #2
    blo 1f
    ldm r6!, {r1}
    beq 1f
    ldm r6!, {r2}
1:  mov r9, r6                  /* (the padding rows' sums are never stored) */
    ldr r5, [sp, #P_W]
    blx r8
    str r5, [sp, #P_W]
    add r4, sp, #P_STAGE        /* the stage is dead: the sums go there */
    stm r4!, {r0-r3}
    add r4, sp, #P_M
    ldm r4!, {r5, r6, r7}
    add r1, sp, #P_STAGE
1:  ldm r1!, {r0}
    PSCALE \name, \mode, tail_\mode, 0
    asrs r4, r0, #31
    bics r0, r4
    cmp r0, r10
    bls 2f
    mov r0, r10
2:  add r0, r11
    strb r0, [r7]
    adds r7, #1
    ldr r4, [sp, #P_OUTEND]
    cmp r7, r4
    bne 1b
    add r4, sp, #P_M
    stm r4!, {r5, r6}
    b .Lp_exit
    .endm

    .section .text.m0nn_b8p_mul32_blocks, "ax", %progbits
    .align 2
    .global m0nn_b8p_mul32_blocks
    .type m0nn_b8p_mul32_blocks, %function
    .thumb_func
m0nn_b8p_mul32_blocks:
    ENTER
    sub sp, #P_FRAME
    str r0, [sp, #P_JOB]
    ldr r1, [r0, #8]            /* n */
    ldr r0, [r0, #0]            /* the input */
    PAIRS_STAGE P_STAGE, .Lp_seq_addr
    ldr r7, [sp, #P_JOB]
    ldr r0, [r7, #4]
    str r0, [sp, #P_W]
    ldr r0, [r7, #16]
    mov r9, r0
    movs r0, #40
    adds r0, r0, r7
    ldm r0!, {r1, r2, r3, r4}   /* offset - act_min, span, act_min, rows */
    mov r12, r1
    mov r10, r2
    mov r11, r3
    ldr r5, [r7, #36]
    muls r5, r4                 /* R = n_blocks * rows */
    ldr r6, [r7, #32]           /* the output */
    adds r0, r6, r5
    str r0, [sp, #P_OUTEND]
    lsrs r5, r5, #2
    lsls r5, r5, #2
    adds r5, r6, r5
    str r5, [sp, #P_END]
    ldr r1, [r7, #20]           /* multiplier */
    ldr r2, [r7, #24]           /* shift */
    ldr r3, [r7, #28]           /* step: 4 per channel, 0 per tensor */
    cmp r3, #0
    bne 1f
    ldr r1, [r1]                /* per tensor: the values themselves */
    ldr r2, [r2]
    rsbs r2, r2, #0
1:  add r0, sp, #P_M
    stm r0!, {r1, r2, r6}
    mov r7, r6
    subs r0, r5, r6             /* 4 x the full passes */
    lsls r1, r0, #29            /* N: an odd count of them */
    cmp r3, #0
    beq 4f
    cmp r0, #0
    bne 2f
    b .Lp_tail_c                /* no full pass */
2:  cmp r1, #0
    bge 3f
    b .Lp_pass2_c
3:  b .Lp_pass_c
4:  cmp r0, #0
    bne 5f
    b .Lp_tail_t
5:  b .Lp_pass_t

    PPASS m0nn_b8p_mul32_blocks, c, 1
    PPASS m0nn_b8p_mul32_blocks, t, 0

.Lp_exit:                       /* the job as m0nn_internal.h says: advanced */
    ldr r7, [sp, #P_JOB]
    ldr r0, [sp, #P_W]
    str r0, [r7, #4]
    mov r0, r9
    str r0, [r7, #16]
    ldr r0, [sp, #P_OUTEND]
    str r0, [r7, #32]
    ldr r0, [r7, #28]
    cmp r0, #0
    beq 3f
    ldr r0, [sp, #P_M]
    str r0, [r7, #20]
    ldr r0, [sp, #P_S]
    str r0, [r7, #24]
3:  add sp, #P_FRAME
    LEAVE

    .align 2
.Lp_seq_addr:
    .word .Lp_seq + 1
    .ltorg
.Lp_seq:
    PAIRS_SEQ P_STAGE
    .size m0nn_b8p_mul32_blocks, . - m0nn_b8p_mul32_blocks
#endif
