/* m0nn_conv_lanes for ARMv6-M (Cortex-M0/M0+): see m0nn_internal.h and the
 * layout in m0nn.graph.lanes. One block of 8 (or 4) channels, window after
 * window.
 *
 * Per window the S/H accumulators (m0nn_armv6m_lanes.inc, high lanes signed:
 * ASRS) start from the block's constants; each input u (one LDRB) is added to
 * r5 (sum u) and multiplied by the block's 4 lane words (two LDMs, 4 MULS, 12
 * adds and shifts: 25 cycles per 8 multiply-accumulates). The window runs
 * through an unrolled body of 16 inputs entered at the slot that leaves its
 * length's remainder, computed once per call; the chunks left are counted in
 * bits 24-31 of r5 (sum u < 640 * 255 < 2^24), so no register holds an end.
 * Then the low channels get -128 * sum u, and each channel is requantized in
 * registers: MULS by its multiplier, ASRS by its right shift and ADCS of
 * offset - act_min with the carry, the last bit shifted out, which rounds half
 * up as m0nn_requantize_mul32 (floor(v / 2^r) + bit r-1 of v = floor((v +
 * 2^(r-1)) / 2^r)); a negative value cleared without a branch, the upper clamp
 * one unsigned compare, act_min added and the byte stored: 14 cycles a channel.
 * With job->acc set (one window) the accumulators are stored instead.
 *
 * Frame: the job and its values the loop reads (F_*).
 */
#if defined(__ARM_ARCH_6M__)
#include "m0nn_armv6m_lanes.inc"
    .syntax unified
    .thumb

    .equ F_JOB, 0
    .equ F_WIN, 4       /* the next window, moved back by the entry slot */
    .equ F_OUT, 8       /* the current window's output */
    .equ F_END, 12      /* the output after the last window */
    .equ F_ENTRY, 16    /* the body's entry slot */
    .equ F_NCH, 20      /* (chunks of 16 inputs per window - 1) << 24 */
    .equ F_W, 24
    .equ F_K, 28
    .equ F_KQ, 32       /* the {multiplier, right} pairs */
    .equ F_STEP, 36
    .equ F_OSTEP, 40
    .equ F_SPAN, 44
    .equ F_OFFMIN, 48
    .equ F_MIN, 52
    .equ F_AFTER, 56    /* where a window goes after its sums (AFTER) */
    .equ FRAME, 64

    .equ J_WINDOW, 0
    .equ J_STEP, 4
    .equ J_POSITIONS, 8
    .equ J_OUTPUT, 12
    .equ J_OUT_STEP, 16
    .equ J_WEIGHTS, 20
    .equ J_CONSTS, 24
    .equ J_LEN, 28
    .equ J_WIDTH, 32
    .equ J_OFFMIN, 36
    .equ J_SPAN, 40
    .equ J_MIN, 44
    .equ J_ACC, 48
    .equ J_LOWER, 52

/* CIN8 k / CIN4 k: input k of a chunk: u to r2 and into the sum r5, times the
 * lane words of 8 (4) channels. 25 (13) cycles, 40 (22) bytes. */
    .macro CIN8 k
    ldrb r2, [r0, #\k]
    adds r5, r5, r2
    WIDE4 r6, r7, r8, r9, asrs
    WIDE4 r10, r11, r12, lr, asrs
    .endm

    .macro CIN4 k
    ldrb r2, [r0, #\k]
    adds r5, r5, r2
    WIDE4 r6, r7, r8, r9, asrs
    .endm

/* SETUP body, bytes: the entry slot j = (-len) & 15 of the body (each input
 * `bytes` long) to F_ENTRY, the first window moved back by j (the immediate
 * offsets then still address it), the chunk count to F_NCH. r0 = job. */
    .macro SETUP body, bytes
    ldr r2, [r0, #J_LEN]
    negs r3, r2
    movs r4, #15
    ands r3, r4
    ldr r1, [r0, #J_WINDOW]
    subs r1, r1, r3
    str r1, [sp, #F_WIN]
    adds r2, r2, r3
    lsrs r2, r2, #4
    subs r2, #1
    lsls r2, r2, #24
    str r2, [sp, #F_NCH]
    movs r4, #\bytes
    muls r4, r3, r4
    adr r2, \body
    adds r4, r4, r2
    str r4, [sp, #F_ENTRY]
    .endm

/* WINDOW body, cin: the window at F_WIN (F_WIN advanced) through the body of
 * 16 inputs, chunk after chunk; r5 = sum u after it. */
    .macro WINDOW body, cin
    ldr r5, [sp, #F_NCH]
    ldr r0, [sp, #F_WIN]
    ldr r1, [sp, #F_STEP]
    adds r1, r0, r1
    str r1, [sp, #F_WIN]
    ldr r1, [sp, #F_W]
    ldr r3, [sp, #F_ENTRY]
    mov pc, r3
    .align 2
\body:
    .irp k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    \cin \k
    .endr
    lsrs r3, r5, #24
    bne \body\()_more
    .endm

/* MORE body: another chunk of the window (the branch target of WINDOW). */
    .macro MORE body
\body\()_more:
    adds r0, #16
    movs r3, #1
    lsls r3, r3, #24
    subs r5, r5, r3
    b \body
    .endm

/* RQ a, k, fix, back, lower: the accumulator in low register \a requantized
 * with the next {multiplier, right} at r4, + offset - act_min (r3) with the
 * rounding carry; lower = 1: negatives cleared without a branch (a fused ReLU
 * clamps about half); then one unsigned compare with span (r0) sends values
 * outside [0, span] to the stub \fix (RQFIX), which returns to \back. Uses
 * r1, r2. The caller adds act_min and stores. */
    .macro RQ a, fix, back, lower
    ldm r4!, {r1, r2}
    muls \a, r1, \a
    asrs \a, r2
    adcs \a, r3
    .if \lower
    asrs r1, \a, #31
    bics \a, r1
    .endif
    cmp \a, r0
    bhi \fix\()f
\back\():
    .endm

    .macro RQFIX a, fix, back, lower
\fix\():
    .if !\lower
    asrs r1, \a, #31            /* below 0: 0 */
    bics \a, r1
    beq \back\()b
    .endif
    mov \a, r0                  /* above span: span */
    b \back\()b
    .endm

/* ROW a, k, fix, back, lower: RQ, + act_min (r6), stored at r5 + k. */
    .macro ROW a, k, fix, back, lower
    RQ \a, \fix, \back, \lower
    add \a, r6
    strb \a, [r5, #\k]
    .endm

/* LOW a, s, h: \a = the low channel of the pair in high registers S \s, H \h. */
    .macro LOW a, s, h
    mov \a, \s
    mov r1, \h
    lsls r1, r1, #16
    subs \a, \a, r1
    .endm

/* REQUANT pos, width, lower: the channels of the block stored at F_OUT, in
 * the order 0, 2, 3, 1 (pairs S r6 / H r7, S r8 / H r9), then 6, 4, 7, 5;
 * the first before act_min is in r6. r0 = span, r3 = offset - act_min, r4 =
 * the {multiplier, right} pairs, r5 = the output. Then the next window. */
    .macro REQUANT pos, width, lower
    ldr r5, [sp, #F_OUT]
    ldr r4, [sp, #F_KQ]
    ldr r0, [sp, #F_SPAN]
    ldr r3, [sp, #F_OFFMIN]
    lsls r1, r7, #16
    subs r6, r6, r1
    RQ r6, 60, 61, \lower
    ldr r1, [sp, #F_MIN]
    add r6, r1
    strb r6, [r5, #0]
    mov r6, r1
    ROW r7, 2, 62, 63, \lower
    mov r7, r9
    ROW r7, 3, 64, 65, \lower
    LOW r7, r8, r9
    ROW r7, 1, 66, 67, \lower
    .if \width == 8
    mov r7, r11
    ROW r7, 6, 68, 69, \lower
    LOW r7, r10, r11
    ROW r7, 4, 70, 71, \lower
    mov r7, lr
    ROW r7, 7, 72, 73, \lower
    LOW r7, r12, lr
    ROW r7, 5, 74, 75, \lower
    .endif
    ldr r1, [sp, #F_OSTEP]      /* the next window's output */
    adds r5, r5, r1
    str r5, [sp, #F_OUT]
    ldr r1, [sp, #F_END]
    cmp r5, r1
    beq 3f
    b \pos
3:  b .Ldone
    RQFIX r6, 60, 61, \lower
    RQFIX r7, 62, 63, \lower
    RQFIX r7, 64, 65, \lower
    RQFIX r7, 66, 67, \lower
    .if \width == 8
    RQFIX r7, 68, 69, \lower
    RQFIX r7, 70, 71, \lower
    RQFIX r7, 72, 73, \lower
    RQFIX r7, 74, 75, \lower
    .endif
    .endm

/* AFTER width: where a window goes after its sums (F_AFTER): the raw
 * accumulators (job->acc), or the requantization with or without the
 * branchless lower clamp (job->lower). r0 = job; uses r1, r2. */
    .macro AFTER width
    ldr r2, =.Lraw\width
    ldr r1, [r0, #J_ACC]
    cmp r1, #0
    bne 1f
    ldr r2, =.Lplain\width
    ldr r1, [r0, #J_LOWER]
    cmp r1, #0
    beq 1f
    ldr r2, =.Llower\width
1:  str r2, [sp, #F_AFTER]
    .endm

/* BLOCK width: the loop over windows for one block of `width` channels:
 * the S/H pairs from the constants (8 wide: S13 H3 S46 H6 S02 H2 S57 H7; 4
 * wide: S13 H3 S02 H2), the window, the low channels' -128 * sum u, then
 * F_AFTER: the raw accumulators or one of the two requantizations. */
    .macro BLOCK width
.Lpos\width:
    ldr r0, [sp, #F_K]
    .if \width == 8
    ldm r0!, {r2-r7}
    mov r8, r2
    mov r9, r3
    mov r10, r4
    mov r11, r5
    ldm r0!, {r2, r3}
    mov r12, r2
    mov lr, r3
    WINDOW .Lbody8, CIN8
    .else
    ldm r0!, {r2, r3, r6, r7}
    mov r8, r2
    mov r9, r3
    WINDOW .Lbody4, CIN4
    .endif
    lsls r5, r5, #7
    rsbs r5, r5, #0
    adds r6, r6, r5
    add r8, r5
    .if \width == 8
    add r10, r5
    add r12, r5
    .endif
    ldr r0, [sp, #F_AFTER]
    mov pc, r0
    MORE .Lbody\width
    .align 2
.Lraw\width:
    ldr r0, [sp, #F_JOB]
    ldr r0, [r0, #J_ACC]
    UNLANE\width r0
    b .Ldone
    .ltorg
.Lplain\width:
    REQUANT .Lpos\width, \width, 0
.Llower\width:
    REQUANT .Lpos\width, \width, 1
    .endm

    .section .text.m0nn_conv_lanes, "ax", %progbits
    .align 2
    .global m0nn_conv_lanes
    .type m0nn_conv_lanes, %function
    .thumb_func
m0nn_conv_lanes:
    ENTER
    sub sp, #FRAME
    str r0, [sp, #F_JOB]
    ldr r1, [r0, #J_STEP]
    str r1, [sp, #F_STEP]
    ldr r1, [r0, #J_WEIGHTS]
    str r1, [sp, #F_W]
    ldr r1, [r0, #J_SPAN]
    str r1, [sp, #F_SPAN]
    ldr r1, [r0, #J_OFFMIN]
    str r1, [sp, #F_OFFMIN]
    ldr r1, [r0, #J_MIN]
    str r1, [sp, #F_MIN]
    ldr r1, [r0, #J_OUT_STEP]
    str r1, [sp, #F_OSTEP]
    ldr r2, [r0, #J_POSITIONS]
    muls r2, r1, r2
    ldr r1, [r0, #J_OUTPUT]
    str r1, [sp, #F_OUT]
    adds r2, r2, r1
    str r2, [sp, #F_END]
    ldr r1, [r0, #J_CONSTS]
    str r1, [sp, #F_K]
    ldr r2, [r0, #J_WIDTH]
    cmp r2, #4
    beq 1f
    b .Lsetup8
1:  adds r1, #16                /* past 2 S/H pairs */
    str r1, [sp, #F_KQ]
    AFTER 4
    SETUP .Lbody4, 22

    b .Lpos4
.Lsetup8:
    adds r1, #32                /* past 4 S/H pairs */
    str r1, [sp, #F_KQ]
    AFTER 8
    SETUP .Lbody8, 40
    b .Lpos8

    BLOCK 4
    BLOCK 8

.Ldone:
    add sp, #FRAME
    LEAVE
    .size m0nn_conv_lanes, .-m0nn_conv_lanes
#endif
