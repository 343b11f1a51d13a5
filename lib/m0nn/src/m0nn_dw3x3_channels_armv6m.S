/* m0nn_dw3x3_channels for ARMv6-M: see m0nn_internal.h. One call runs every
 * channel of a band (MUL32) through four phases in one frame, each loading its
 * registers from the job and the frame (the per-call constants are computed
 * once):
 * - packing, two values per step: two LDRSB at x + step and x + 2 step, per value
 *   LSLS #16, + lo, lo = v + 129, one STM of both words: 14 cycles per two values;
 *   a row's steps are straight-line code entered at the step that leaves n / 2 of
 *   them, then the row's end (an odd last value, the tail word) as n and tail
 *   select, about 20 cycles a row;
 * - the sums: the channel's nine weights (unpacked from the host's bytes) in
 *   registers, w0-w4 in r3-r7, w5-w8 in r10-r12, lr; per tap LDR of the packed word,
 *   one MULS for both products, S += P, H += P >> 16 (S, H in r8, r9): 6 cycles (7
 *   for a weight in a high register); the last tap leaves S and H in r1, r2, which
 *   one STM writes over the window's first two words, advancing to the next window;
 *   a row's windows are straight-line code entered at the window that leaves
 *   `pairs` of them: 61 cycles per window of 18 multiply-accumulates, 14 a row;
 * - the requantization: per pair LDM of S and H, then per output MULS, the folded
 *   bias and rounding, ASRS, + d, the clamp to [0, span] as one unsigned compare
 *   whose rare taken branch clamps (`lower`: the negatives of a fused ReLU cleared
 *   first without a branch, ASRS #31, BICS), + lo, STRB: 29 cycles per pair with
 *   the loop (33 with `lower`).
 * Cycles on a Cortex-M0. */
#if defined(__ARM_ARCH_6M__)
    .syntax unified
    .thumb
#include "m0nn_armv6m_frame.inc"

    /* m0nn_dw_job_t */
    .equ J_PLANE, 0
    .equ J_PAIRS, 4
    .equ J_ROWS, 8
    .equ J_ROW_STEP, 12
    .equ J_WEIGHTS, 16
    .equ J_KERNEL_H, 20
    .equ J_PK_PLANE, 24
    .equ J_X, 28
    .equ J_PK_ROWS, 32
    .equ J_ROW_IN, 36
    .equ J_STEP, 40
    .equ J_N, 44
    .equ J_TAIL, 48
    .equ J_PAD_LO, 52
    .equ J_PAD_HI, 56
    .equ J_FILL, 60
    .equ J_DIRTY, 64
    .equ J_REQUANT, 68
    .equ J_CHANNELS, 72
    .equ J_CONSTS, 76
    .equ J_MULT, 80
    .equ J_SHIFT, 84
    .equ J_OUT, 88
    .equ J_OUT_STEP, 92
    .equ J_OUT_SKIP, 96
    .equ J_ODD, 100
    .equ J_D, 104
    .equ J_SPAN, 108
    .equ J_LO, 112
    .equ J_LOWER, 116

    /* the frame */
    .equ F_JOB, 0
    .equ F_PK_ENTRY, 4          /* the packing steps' entry */
    .equ F_PK_END, 8            /* the row's end: odd last value, tail */
    .equ F_PK_PLANE_SKIP, 12    /* plane bytes from past a row's words to the next row */
    .equ F_PK_X_SKIP, 16        /* row_in - n step */
    .equ F_PK_X_SPAN, 20        /* pk_rows row_in */
    .equ F_ROWS_LEFT, 24
    .equ F_NEXT_ROW, 28         /* bytes from past a row's windows to the next row's */
    .equ F_SUMS_ENTRY, 32
    .equ F_SUMS_END, 36         /* plane + rows row_step */
    .equ F_FULL, 40             /* bytes of a row's full pairs (the requantization) */
    .equ F_ODD, 44
    .equ F_OUT_SKIP, 48
    .equ F_RQ_ENTRY, 52         /* the requantization's entry */
    .equ F_SIZE, 56

    .equ DW_PACK2_BYTES, 20
    .equ DW_PACK2_MAX, 7        /* M0NN_DW_ROW / 2: at most M0NN_DW_ROW values a row */
    .equ DW_WINDOW_BYTES, 100
    .equ DW_MAX_PAIRS, 6        /* (M0NN_DW_ROW - 1) / 2 */
    .equ DW_RQ_PAIR_BYTES, 42
    .equ DW_RQ_PAIR_BYTES_LOWER, 50

    .macro DW_PACK2
    ldrsb r4, [r0, r5]
    lsls r2, r4, #16
    adds r2, r2, r3
    adds r4, #129
    ldrsb r3, [r0, r6]
    lsls r7, r3, #16
    adds r7, r7, r4
    adds r3, #129
    stm r1!, {r2, r7}
    adds r0, r0, r6
    .endm

/* DW_TAP: the packed word at byte offset off of the window times the weight in
 * low register w into S (r8) and H (r9); 6 cycles. DW_TAP_HIGH: the weight in
 * high register w, copied to r2 first; 7 cycles. */
    .macro DW_TAP off, w
    ldr r1, [r0, #\off]
    muls r1, \w
    add r8, r1
    asrs r1, r1, #16
    add r9, r1
    .endm

    .macro DW_TAP_HIGH off, w
    ldr r1, [r0, #\off]
    mov r2, \w
    muls r2, r1
    add r8, r2
    asrs r2, r2, #16
    add r9, r2
    .endm

/* One window (word offsets ky * 14 + kx, M0NN_DW_ROW = 14): 50 instructions. */
    .macro DW_WINDOW
    ldr r1, [r0, #0]
    muls r1, r3
    mov r8, r1
    asrs r1, r1, #16
    mov r9, r1
    DW_TAP 4, r4
    DW_TAP 8, r5
    DW_TAP 56, r6
    DW_TAP 60, r7
    DW_TAP_HIGH 64, r10
    DW_TAP_HIGH 112, r11
    DW_TAP_HIGH 116, r12
    ldr r1, [r0, #120]
    mov r2, lr
    muls r1, r2
    asrs r2, r1, #16
    add r2, r9                  /* H */
    add r1, r8                  /* S */
    stm r0!, {r1, r2}
    .endm

/* DW_Y y, c, fix, back, lower: y (the folded sum) times m (r4), + c, >> right
 * (r5), + d (r10), clamped to [0, span (r11)] (r3 scratch), + lo (r12), stored
 * at out (r6), out += out_step (r7). 10 cycles (12 with lower) when in range. */
    .macro DW_Y y, c, fix, back, lower
    muls \y, r4
    add \y, \c
    asrs \y, r5
    add \y, r10
    .if \lower
    asrs r3, \y, #31
    bics \y, r3
    .endif
    cmp \y, r11
    bhi \fix
\back:
    add \y, r12
    strb \y, [r6]
    adds r6, r6, r7
    .endm

/* The clamp out of line: below 0 (as unsigned: above span) to 0, above span to span. */
    .macro DW_FIX y, fix, back, lower
\fix:
    .if \lower
    mov \y, r11
    .else
    asrs r3, \y, #31
    mov \y, r11
    bics \y, r3
    .endif
    b \back
    .endm

/* DW_RQ_PAIR k, lower: pair k of a row's straight-line code: LDM of S and H, both
 * outputs (21 instructions, 25 with lower). DW_RQ_FIXES k, lower: its clamps out of
 * line (pairs 0-2 before the code, 3-5 after it: the branches' reach). */
    .macro DW_RQ_PAIR k, lower
    ldm r0!, {r1, r2}
    lsls r3, r2, #16
    subs r1, r1, r3             /* S - (H << 16) */
    DW_Y r1, r8, .Lfa\lower\()_\k, .Lba\lower\()_\k, \lower
    DW_Y r2, r9, .Lfb\lower\()_\k, .Lbb\lower\()_\k, \lower
    .endm

    .macro DW_RQ_FIXES k, lower
    DW_FIX r1, .Lfa\lower\()_\k, .Lba\lower\()_\k, \lower
    DW_FIX r2, .Lfb\lower\()_\k, .Lbb\lower\()_\k, \lower
    .endm

/* DW_ROWS lower: per row the full pairs, entered at the pair that leaves them
 * (F_RQ_ENTRY), then the left output of an odd row's last pair; then on to the
 * next channel (90f). */
    .macro DW_ROWS lower
    DW_RQ_FIXES 0, \lower
    DW_RQ_FIXES 1, \lower
    DW_RQ_FIXES 2, \lower
    .align 2
.Lrq\lower:
    DW_RQ_PAIR 0, \lower
    DW_RQ_PAIR 1, \lower
    DW_RQ_PAIR 2, \lower
    DW_RQ_PAIR 3, \lower
    DW_RQ_PAIR 4, \lower
    DW_RQ_PAIR 5, \lower
.Lrq_end\lower:
    ldr r1, [sp, #F_ODD]
    cmp r1, #0
    bne 112f
104:
    ldr r1, [sp, #F_OUT_SKIP]
    adds r6, r6, r1
    ldr r1, [sp, #F_NEXT_ROW]
    adds r0, r0, r1
    ldr r1, [sp, #F_SUMS_END]
    cmp r0, r1
    beq 105f
    ldr r1, [sp, #F_RQ_ENTRY]
    mov pc, r1
105:
    b 90f
112:
    ldm r0!, {r1, r2}           /* the last pair of an odd row: its left output only */
    lsls r3, r2, #16
    subs r1, r1, r3
    DW_Y r1, r8, 110f, 111, \lower
    b 104b
    DW_FIX r1, 110, 111b, \lower
    DW_RQ_FIXES 3, \lower
    DW_RQ_FIXES 4, \lower
    DW_RQ_FIXES 5, \lower
    .endm

    .section .text.m0nn_dw3x3_channels, "ax", %progbits
    .align 2
    .global m0nn_dw3x3_channels
    .type m0nn_dw3x3_channels, %function
    .thumb_func
m0nn_dw3x3_channels:
    M0NN_SAVE_R4_R11
    sub sp, #F_SIZE
    str r0, [sp, #F_JOB]
    /* the packing's constants */
    ldr r2, [r0, #J_N]
    lsrs r3, r2, #1
    movs r4, #DW_PACK2_MAX
    subs r4, r4, r3
    movs r1, #DW_PACK2_BYTES
    muls r4, r1
    adr r1, 40f
    adds r4, r4, r1
    str r4, [sp, #F_PK_ENTRY]
    movs r1, #1
    ands r1, r2                 /* n odd */
    ldr r3, [r0, #J_TAIL]
    movs r4, #1
    subs r4, r4, r1
    lsls r4, r4, #1
    movs r7, r3
    eors r7, r1
    adds r4, r4, r7
    lsls r4, r4, #3
    adr r1, 42f
    adds r4, r4, r1
    str r4, [sp, #F_PK_END]     /* 42f + 8 (2 (1 - odd) + (tail ^ odd)) */
    adds r3, r3, r2             /* words written per row: n + tail */
    lsls r3, r3, #2
    movs r4, #56                /* 4 * M0NN_DW_ROW */
    subs r4, r4, r3
    str r4, [sp, #F_PK_PLANE_SKIP]
    ldr r5, [r0, #J_STEP]
    muls r2, r5
    ldr r4, [r0, #J_ROW_IN]
    subs r3, r4, r2
    str r3, [sp, #F_PK_X_SKIP]
    ldr r3, [r0, #J_PK_ROWS]
    muls r4, r3
    str r4, [sp, #F_PK_X_SPAN]
    /* the sums' */
    ldr r1, [r0, #J_PAIRS]
    lsls r2, r1, #3             /* 8 pairs */
    ldr r3, [r0, #J_ROW_STEP]
    subs r4, r3, r2
    str r4, [sp, #F_NEXT_ROW]
    movs r4, #DW_MAX_PAIRS
    subs r4, r4, r1
    movs r5, #DW_WINDOW_BYTES
    muls r4, r5
    adr r5, 30f
    adds r4, r4, r5
    str r4, [sp, #F_SUMS_ENTRY]
    ldr r4, [r0, #J_ROWS]
    muls r4, r3
    ldr r5, [r0, #J_PLANE]
    adds r4, r4, r5
    str r4, [sp, #F_SUMS_END]
    /* the requantization's */
    ldr r4, [r0, #J_ODD]
    str r4, [sp, #F_ODD]
    lsls r4, r4, #3
    subs r2, r2, r4
    str r2, [sp, #F_FULL]
    ldr r4, [r0, #J_OUT_SKIP]
    str r4, [sp, #F_OUT_SKIP]
    lsrs r2, r2, #3             /* full pairs */
    movs r4, #DW_MAX_PAIRS
    subs r4, r4, r2
    ldr r1, [r0, #J_LOWER]
    cmp r1, #0
    bne 8f
    movs r5, #DW_RQ_PAIR_BYTES
    muls r4, r5
    ldr r5, =.Lrq0
    b 9f
8:  movs r5, #DW_RQ_PAIR_BYTES_LOWER
    muls r4, r5
    ldr r5, =.Lrq1
9:  adds r4, r4, r5
    str r4, [sp, #F_RQ_ENTRY]
    b 10f
    .ltorg

    /* ---- per channel: the padding the previous channel's sums overwrote */
10: ldr r0, [sp, #F_JOB]
    ldr r1, [r0, #J_DIRTY]
    cmp r1, #0
    beq 20f
    ldr r2, [r0, #J_PAD_LO]
    ldr r1, [r0, #J_PAD_HI]
    adds r2, r2, r1
    movs r3, r2
    ldr r4, [r0, #J_FILL]
    ldr r5, [r0, #J_PLANE]
    ldr r6, [r0, #J_PAIRS]
11: lsrs r4, r4, #1
    bcc 13f
    movs r1, r5
    movs r7, r6
12: stm r1!, {r2, r3}
    subs r7, #1
    bne 12b
13: adds r5, #56                /* 4 * M0NN_DW_ROW */
    cmp r4, #0
    bne 11b

    /* ---- the packing */
20: ldr r1, [r0, #J_PK_ROWS]
    cmp r1, #0
    bne 22f
    b 50f
22:     ldr r1, [r0, #J_PAD_LO]
    mov r8, r1
    ldr r1, [r0, #J_PAD_HI]
    mov r9, r1
    ldr r1, [sp, #F_PK_PLANE_SKIP]
    mov r10, r1
    ldr r1, [sp, #F_PK_X_SKIP]
    mov r11, r1
    ldr r1, [sp, #F_PK_ENTRY]
    mov lr, r1
    ldr r5, [r0, #J_STEP]
    lsls r6, r5, #1
    ldr r2, [r0, #J_X]
    adds r1, r2, #1
    str r1, [r0, #J_X]          /* the next channel's */
    subs r2, r2, r5             /* x - step */
    ldr r1, [r0, #J_PK_PLANE]
    movs r0, r2
    ldr r3, [sp, #F_PK_X_SPAN]
    adds r3, r3, r0
    mov r12, r3                 /* x - step past the last row */
21: mov r3, r8                  /* lo */
    mov pc, lr
    .align 2
40: DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
    DW_PACK2
41: ldr r7, [sp, #F_PK_END]
    mov pc, r7
    .align 2
44: lsls r2, r4, #16            /* odd, no tail */
    adds r2, r2, r3
    stm r1!, {r2}
    adds r0, r0, r5
    b 48f
45: adds r4, #129               /* odd, tail */
    add r4, r9
    stm r1!, {r2, r4}
    adds r0, r0, r5
    b 48f
    .align 2
42: ldrsb r4, [r0, r5]          /* odd, tail: 8 bytes each */
    lsls r2, r4, #16
    adds r2, r2, r3
    b 45b
    ldrsb r4, [r0, r5]          /* odd, no tail: the last value's word */
    b 44b
    nop
    nop
    b 48f                       /* even, no tail */
    nop
    nop
    nop
    add r3, r9                  /* even, tail (the usual row: falls through) */
    stm r1!, {r3}
48: add r1, r10
    add r0, r11
    cmp r0, r12
    bne 21b

    /* ---- the sums */
50: ldr r0, [sp, #F_JOB]
    movs r1, #1
    str r1, [r0, #J_DIRTY]
    ldr r1, [r0, #J_ROWS]
    str r1, [sp, #F_ROWS_LEFT]
    ldr r1, [r0, #J_WEIGHTS]
    ldr r2, [r0, #J_KERNEL_H]
    cmp r2, #1
    bne 55f
    /* 1x3: w0-w2 in r3-r5, S and H in r1 and r2, 8 pairs in r7: 23 cycles per window */
    ldm r1!, {r3}
    str r1, [r0, #J_WEIGHTS]    /* one word a channel */
    lsls r5, r3, #8
    asrs r5, r5, #24            /* w2 */
    lsls r4, r3, #16
    asrs r4, r4, #24            /* w1 */
    sxtb r3, r3                 /* w0 */
    ldr r7, [r0, #J_PAIRS]
    lsls r7, r7, #3
    ldr r0, [r0, #J_PLANE]
    adds r1, r0, r7
    mov lr, r1                  /* end of the row's windows */
51: ldr r1, [r0, #0]
    muls r1, r3
    asrs r2, r1, #16
    ldr r6, [r0, #4]
    muls r6, r4
    adds r1, r1, r6
    asrs r6, r6, #16
    adds r2, r2, r6
    ldr r6, [r0, #8]
    muls r6, r5
    adds r1, r1, r6
    asrs r6, r6, #16
    adds r2, r2, r6
    stm r0!, {r1, r2}
    cmp r0, lr
    bne 51b
    ldr r1, [sp, #F_ROWS_LEFT]
    subs r1, #1
    beq 54f
    str r1, [sp, #F_ROWS_LEFT]
    ldr r1, [sp, #F_NEXT_ROW]
    adds r0, r0, r1
    adds r1, r0, r7
    mov lr, r1
    b 51b
54: b 70f
    /* 3x3 */
55: movs r2, #12
    adds r2, r2, r1
    str r2, [r0, #J_WEIGHTS]    /* three words a channel */
    ldr r0, [r0, #J_PLANE]
    ldm r1, {r1, r2, r3}        /* the weight bytes: w0-w3, w4-w7, w8 */
    sxtb r3, r3
    mov lr, r3                  /* w8 */
    asrs r3, r2, #24
    mov r12, r3                 /* w7 */
    lsls r3, r2, #8
    asrs r3, r3, #24
    mov r11, r3                 /* w6 */
    lsls r3, r2, #16
    asrs r3, r3, #24
    mov r10, r3                 /* w5 */
    sxtb r7, r2                 /* w4 */
    asrs r6, r1, #24            /* w3 */
    lsls r5, r1, #8
    asrs r5, r5, #24            /* w2 */
    lsls r4, r1, #16
    asrs r4, r4, #24            /* w1 */
    sxtb r3, r1                 /* w0 */
    ldr r1, [sp, #F_SUMS_ENTRY]
    mov pc, r1
    .align 2
30: DW_WINDOW
    DW_WINDOW
    DW_WINDOW
    DW_WINDOW
    DW_WINDOW
    DW_WINDOW
31: ldr r1, [sp, #F_ROWS_LEFT]
    subs r1, #1
    beq 70f
    str r1, [sp, #F_ROWS_LEFT]
    ldr r1, [sp, #F_NEXT_ROW]
    adds r0, r0, r1
    ldr r1, [sp, #F_SUMS_ENTRY]
    mov pc, r1

    /* ---- the requantization (MUL32), c0 = B0 m + round, c1 = B1 m + round */
70: ldr r0, [sp, #F_JOB]
    ldr r1, [r0, #J_REQUANT]
    cmp r1, #0
    bne 71f
    b 90f
71:     ldr r1, [r0, #J_MULT]
    ldm r1!, {r4}               /* m */
    str r1, [r0, #J_MULT]
    ldr r1, [r0, #J_SHIFT]
    ldm r1!, {r5}
    str r1, [r0, #J_SHIFT]
    rsbs r5, r5, #0             /* right */
    subs r3, r5, #1
    movs r2, #1
    lsls r2, r3                 /* round */
    ldr r1, [r0, #J_CONSTS]
    ldm r1!, {r3, r7}           /* B0, B1 */
    str r1, [r0, #J_CONSTS]
    muls r3, r4
    adds r3, r3, r2
    mov r8, r3                  /* c0 */
    muls r7, r4
    adds r7, r7, r2
    mov r9, r7                  /* c1 */
    ldr r1, [r0, #J_D]
    mov r10, r1
    ldr r1, [r0, #J_SPAN]
    mov r11, r1
    ldr r1, [r0, #J_LO]
    mov r12, r1
    ldr r6, [r0, #J_OUT]
    adds r1, r6, #1
    str r1, [r0, #J_OUT]
    ldr r7, [r0, #J_OUT_STEP]
    ldr r0, [r0, #J_PLANE]
    ldr r1, [sp, #F_RQ_ENTRY]
    mov pc, r1
    DW_ROWS 0
    DW_ROWS 1

    /* ---- the next channel */
90: ldr r0, [sp, #F_JOB]
    ldr r1, [r0, #J_CHANNELS]
    subs r1, #1
    str r1, [r0, #J_CHANNELS]
    beq 99f
    b 10b
99: add sp, #F_SIZE
    M0NN_RESTORE_R4_R11_RETURN
    .if (41b - 40b) - DW_PACK2_MAX * DW_PACK2_BYTES
    .error "DW_PACK2_BYTES is not the size of DW_PACK2"
    .endif
    .if (31b - 30b) - DW_MAX_PAIRS * DW_WINDOW_BYTES
    .error "DW_WINDOW_BYTES is not the size of DW_WINDOW"
    .endif
    .if (.Lrq_end0 - .Lrq0) - DW_MAX_PAIRS * DW_RQ_PAIR_BYTES
    .error "DW_RQ_PAIR_BYTES is not the size of DW_RQ_PAIR"
    .endif
    .if (.Lrq_end1 - .Lrq1) - DW_MAX_PAIRS * DW_RQ_PAIR_BYTES_LOWER
    .error "DW_RQ_PAIR_BYTES_LOWER is not the size of DW_RQ_PAIR"
    .endif
    .size m0nn_dw3x3_channels, .-m0nn_dw3x3_channels
#endif
