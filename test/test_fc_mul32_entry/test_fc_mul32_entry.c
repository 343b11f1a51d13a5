/* The MUL32 blocked kernels' entry (m0nn_fc_b8_mul32: assembly on ARMv6-M, a
 * tail jump to the portable m0nn_fc_b8_mul32_c for every call it does not
 * take): random and edge-case parameters through m0nn_fc_s8_b8, _b8w, _b8p and
 * _b4. Every call must return m0nn_fc_b8_mul32_check's status, leave the
 * output untouched on a refusal and write only out_size bytes otherwise; b8's
 * results are compared with a plain loop over its blocked bytes. On ARMv6-M
 * each call also goes through a wrapper that sets r4-r11 to known values and
 * checks them, SP and two words of its own frame afterwards, and the assembly
 * entry is compared byte for byte with m0nn_fc_b8_mul32_c on the same call.
 * M0NN_ENTRY_CASES (default 1500) sets the number of random cases per kernel:
 *   PLATFORMIO_BUILD_FLAGS=-DM0NN_ENTRY_CASES=100000 pio test -e m0_qemu -f test_fc_mul32_entry */
#include <stddef.h>

#include "m0nn.h"
#include "m0nn_internal.h"
#include "m0nn_unit.h"

#ifndef M0NN_ENTRY_CASES
#define M0NN_ENTRY_CASES 1500
#endif

#define MAX_IN 70
#define MAX_OUT 24
#define OUT_BUF 40
#define SENTINEL 0x5A

typedef m0nn_status_t (*fc_fn_t)(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output);

/* The library's own descriptors (m0nn_fc_s8_b8.c, _b8w.c, _b8p.c, _b4.c):
 * the public kernel and m0nn_fc_b8_mul32 on this copy must agree. */
typedef struct {
    fc_fn_t public_fn;
    m0nn_b8_kernel_t kernel;
    const char *name;
} entry_kernel_t;

static const entry_kernel_t kernels[4] = {
    {m0nn_fc_s8_b8, {m0nn_b8_mul32_blocks, 1, 0, M0NN_MAX_SIZE}, "b8"},
    {m0nn_fc_s8_b8w, {m0nn_b8w_mul32_blocks, 1, 0, M0NN_MAX_SIZE}, "b8w"},
    {m0nn_fc_s8_b8p, {m0nn_b8p_mul32_blocks, 1, 1, M0NN_B8P_MAX_IN}, "b8p"},
    {m0nn_fc_s8_b4, {m0nn_b4_mul32_blocks, 0, 0, M0NN_MAX_SIZE}, "b4"},
};

#if defined(__ARM_ARCH_6M__)
/* entry_call(a0..a3) calls entry_fn(a0..a3) with r4-r11 set to known values;
 * entry_bad is set when any of them, SP or the two canary words at the
 * caller's SP differ afterwards (SP is then restored from entry_sp). */
volatile uint32_t entry_fn;
volatile uint32_t entry_bad;
volatile uint32_t entry_sp;
int32_t entry_call(const void *a0, const void *a1, void *a2, const void *a3);
__asm__(".pushsection .text.entry_call,\"ax\",%progbits\n"
        ".syntax unified\n"
        ".thumb\n"
        ".align 2\n"
        ".global entry_call\n"
        ".type entry_call, %function\n"
        ".thumb_func\n"
        "entry_call:\n"
        "    push {r4-r7, lr}\n"
        "    mov r4, r8\n"
        "    mov r5, r9\n"
        "    mov r6, r10\n"
        "    mov r7, r11\n"
        "    push {r4-r7}\n"
        "    sub sp, #12\n" /* 5 + 4 + 3 words: SP stays 8-byte aligned */
        "    ldr r4, =0xC0FFEE01\n"
        "    str r4, [sp, #0]\n"
        "    ldr r4, =0xC0FFEE02\n"
        "    str r4, [sp, #4]\n"
        "    ldr r4, =entry_sp\n"
        "    mov r5, sp\n"
        "    str r5, [r4]\n"
        "    ldr r4, =0xDEADBEEF\n" /* paint the stack below SP: entry_depth() */
        "    movs r6, #192\n"
        "7:  subs r5, #4\n"
        "    str r4, [r5]\n"
        "    subs r6, #1\n"
        "    bne 7b\n"
        "    ldr r4, =entry_fn\n"
        "    ldr r4, [r4]\n"
        "    mov r12, r4\n"
        "    ldr r4, =0x88880008\n"
        "    mov r8, r4\n"
        "    ldr r4, =0x99990009\n"
        "    mov r9, r4\n"
        "    ldr r4, =0xAAAA000A\n"
        "    mov r10, r4\n"
        "    ldr r4, =0xBBBB000B\n"
        "    mov r11, r4\n"
        "    ldr r4, =0x44440004\n"
        "    ldr r5, =0x55550005\n"
        "    ldr r6, =0x66660006\n"
        "    ldr r7, =0x77770007\n"
        "    blx r12\n"
        "    ldr r1, =0x44440004\n"
        "    cmp r4, r1\n"
        "    bne 9f\n"
        "    ldr r1, =0x55550005\n"
        "    cmp r5, r1\n"
        "    bne 9f\n"
        "    ldr r1, =0x66660006\n"
        "    cmp r6, r1\n"
        "    bne 9f\n"
        "    ldr r1, =0x77770007\n"
        "    cmp r7, r1\n"
        "    bne 9f\n"
        "    mov r2, r8\n"
        "    ldr r1, =0x88880008\n"
        "    cmp r2, r1\n"
        "    bne 9f\n"
        "    mov r2, r9\n"
        "    ldr r1, =0x99990009\n"
        "    cmp r2, r1\n"
        "    bne 9f\n"
        "    mov r2, r10\n"
        "    ldr r1, =0xAAAA000A\n"
        "    cmp r2, r1\n"
        "    bne 9f\n"
        "    mov r2, r11\n"
        "    ldr r1, =0xBBBB000B\n"
        "    cmp r2, r1\n"
        "    bne 9f\n"
        "    ldr r1, =entry_sp\n"
        "    ldr r1, [r1]\n"
        "    mov r2, sp\n"
        "    cmp r1, r2\n"
        "    bne 9f\n"
        "    ldr r1, [sp, #0]\n"
        "    ldr r2, =0xC0FFEE01\n"
        "    cmp r1, r2\n"
        "    bne 9f\n"
        "    ldr r1, [sp, #4]\n"
        "    ldr r2, =0xC0FFEE02\n"
        "    cmp r1, r2\n"
        "    bne 9f\n"
        "    b 8f\n"
        "9:  ldr r1, =entry_bad\n"
        "    movs r2, #1\n"
        "    str r2, [r1]\n"
        "    ldr r1, =entry_sp\n"
        "    ldr r1, [r1]\n"
        "    mov sp, r1\n"
        "8:  add sp, #12\n"
        "    pop {r4-r7}\n"
        "    mov r8, r4\n"
        "    mov r9, r5\n"
        "    mov r10, r6\n"
        "    mov r11, r7\n"
        "    pop {r4-r7, pc}\n"
        "    .ltorg\n"
        "    .size entry_call, . - entry_call\n"
        ".popsection\n");

/* The bytes below the caller's SP that the last entry_call's callee wrote
 * (it painted 192 words there). */
#define PAINT_WORDS 192
static int32_t entry_depth(void)
{
    const volatile uint32_t *w = (const volatile uint32_t *)(uintptr_t)(entry_sp - 4u * PAINT_WORDS);
    int32_t i = 0;
    while (i < PAINT_WORDS && w[i] == 0xDEADBEEFu) {
        ++i;
    }
    return 4 * (PAINT_WORDS - i);
}

static int32_t depth_public[4];
static int32_t depth_entry[4];
static int32_t depth_c[4];

static void note_depth(int32_t *max)
{
    const int32_t d = entry_depth();
    *max = d > *max ? d : *max;
}

static m0nn_status_t checked_c(const m0nn_fc_s8_params_t *p, const int8_t *in, int8_t *out, const m0nn_b8_kernel_t *k)
{
    entry_fn = (uint32_t)(uintptr_t)m0nn_fc_b8_mul32_c;
    return (m0nn_status_t)entry_call(p, in, out, k);
}

static m0nn_status_t checked_public(fc_fn_t fn, const m0nn_fc_s8_params_t *p, const int8_t *in, int8_t *out)
{
    entry_fn = (uint32_t)(uintptr_t)fn;
    return (m0nn_status_t)entry_call(p, in, out, NULL);
}

static m0nn_status_t checked_entry(const m0nn_fc_s8_params_t *p, const int8_t *in, int8_t *out,
                                   const m0nn_b8_kernel_t *k)
{
    entry_fn = (uint32_t)(uintptr_t)m0nn_fc_b8_mul32;
    return (m0nn_status_t)entry_call(p, in, out, k);
}
#endif

static uint32_t rng_state;

static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* a value in [lo, hi] (hi - lo < 2^16) */
static int32_t rnd_in(int32_t lo, int32_t hi)
{
    const uint32_t span = (uint32_t)(hi - lo) + 1u;
    return lo + (int32_t)(((rnd() >> 16) * span) >> 16);
}

#define PICK(a) ((a)[rnd_in(0, (int32_t)(sizeof(a) / sizeof((a)[0])) - 1)]) /* no division on the M0 */

static uint8_t weights[4104] M0NN_ALIGN4;
static uint8_t input[MAX_IN + 2];
static int32_t bias[32];
static int32_t mult[32];
static int32_t shift[32];
static int32_t wzp[32];
static int8_t out_pub[OUT_BUF];
static int8_t out_ref[OUT_BUF];
#if defined(__ARM_ARCH_6M__)
static int8_t out_asm[OUT_BUF];
static int8_t out_c[OUT_BUF];
#endif

static int32_t n_legal;
static int32_t n_refused;
static int32_t n_skipped;

#define INT_MIN32 ((int32_t)0x80000000u)
#define INT_MAX32 ((int32_t)0x7fffffff)

static const int32_t in_edges[] = {0, 1, 2, 63, 64, 65, 70, M0NN_MAX_SIZE, M0NN_MAX_SIZE + 1, -1, INT_MIN32, INT_MAX32};
static const int32_t out_edges[] = {0,
                                    1,
                                    2,
                                    3,
                                    4,
                                    5,
                                    7,
                                    8,
                                    9,
                                    12,
                                    16,
                                    20,
                                    24,
                                    M0NN_MAX_SIZE,
                                    M0NN_MAX_SIZE + 1,
                                    -1,
                                    -8,
                                    0x10008,
                                    0x7ffffff8,
                                    INT_MIN32,
                                    INT_MIN32 + 8};
static const int32_t in_offset_edges[] = {0, 1, -1, 128, -127, -128, 129, INT_MIN32, INT_MAX32};
static const int32_t offset_edges[] = {-128, -129, 0, 127, 128, 255, 256, INT_MIN32, INT_MAX32, -257};
static const int32_t act_edges[] = {-129, -128, -1, 0, 1, 126, 127, 128, 254, 255, 256, INT_MIN32, INT_MAX32};
static const int32_t pc_edges[] = {0, 1, 2, -1, INT_MIN32, 3};
static const int32_t requant_edges[] = {0, 1, 2, 3, -1, 257};
static const int32_t shift_edges[] = {-33, -32, -31, -30, -2, -1, 0, 1, 30, 31, INT_MIN32, INT_MAX32};
/* legal multipliers stay <= 127: |acc| * m + 2^30 < 2^31 (the generator's guarantee) */
static const int32_t mult_edges[] = {-1, INT_MIN32, -2, 0, 1, 127};
static const int32_t zp_edges[] = {-129, -128, 127, 128, 255, INT_MIN32, -1};

/* A legal call, then 0-3 fields set to an edge value. */
static void make_case(m0nn_fc_s8_params_t *p, const int8_t **in, int8_t **out, int32_t *p_null, int32_t max_in)
{
    int32_t i;
    int32_t k;
    int32_t n_mut = rnd_in(0, 3);
    p->in_size = rnd_in(1, max_in < MAX_IN ? max_in : MAX_IN);
    p->out_size = (rnd() & 3) == 0 ? 8 * rnd_in(1, 3) : rnd_in(1, MAX_OUT);
    p->input_offset = 0;
    p->output_offset = rnd_in(-128, 255);
    if (rnd() & 1) {
        p->act_min = rnd_in(-128, 127);
        p->act_max = rnd_in(p->act_min, 127);
    } else {
        p->act_min = rnd_in(0, 255);
        p->act_max = rnd_in(p->act_min, 255);
    }
    p->per_channel = (int32_t)(rnd() & 1);
    p->requant = M0NN_REQUANT_MUL32;
    p->weights = weights;
    p->bias = (rnd() & 7) != 0 ? bias : NULL;
    p->multiplier = mult;
    p->shift = shift;
    p->weight_zero_point = (rnd() & 3) == 0 ? wzp : NULL;
    for (i = 0; i < 32; ++i) {
        bias[i] = rnd_in(-32768, 32767) * rnd_in(0, 16);
        mult[i] = rnd_in(0, 127);
        shift[i] = (rnd() & 1) ? rnd_in(-31, -1) : rnd_in(-12, -1);
        wzp[i] = rnd_in(-128, 127);
    }
    for (i = 0; i < MAX_IN + 2; ++i) {
        input[i] = (uint8_t)rnd();
    }
    *in = (const int8_t *)input;
    *out = out_pub;
    *p_null = 0;
    for (k = 0; k < n_mut; ++k) {
        switch (rnd_in(0, 17)) {
        case 0:
            *p_null = 1;
            break;
        case 1:
            *in = NULL;
            break;
        case 2:
            *out = NULL;
            break;
        case 3:
            p->in_size = PICK(in_edges);
            break;
        case 4:
            p->out_size = PICK(out_edges);
            break;
        case 5:
            p->input_offset = PICK(in_offset_edges);
            break;
        case 6:
            p->output_offset = PICK(offset_edges);
            break;
        case 7:
            p->act_min = PICK(act_edges);
            break;
        case 8:
            p->act_max = PICK(act_edges);
            break;
        case 9:
            p->per_channel = PICK(pc_edges);
            break;
        case 10:
            p->requant = PICK(requant_edges);
            break;
        case 11:
            p->weights = (rnd() & 1) ? NULL : (const void *)(weights + rnd_in(1, 3));
            break;
        case 12:
            p->bias = NULL;
            break;
        case 13:
            p->multiplier = NULL;
            break;
        case 14:
            p->shift = NULL;
            break;
        case 15:
            p->weight_zero_point = wzp;
            wzp[rnd_in(0, 31)] = PICK(zp_edges);
            break;
        case 16:
            shift[rnd_in(0, 31)] = PICK(shift_edges);
            break;
        default:
            mult[rnd_in(0, 31)] = PICK(mult_edges);
            break;
        }
    }
    /* the tables hold 32 entries: a per-channel layer of a legal size above
     * MAX_OUT is made per-tensor (the check would read out_size of them) */
    if (p->out_size > MAX_OUT && p->out_size <= M0NN_MAX_SIZE) {
        p->per_channel = 0;
    }
}

/* b8's blocked bytes (m0nn.h): blocks of 8 rows, 8 bytes (w + 128) per input,
 * a last block of at most 4 rows 4 bytes per input. */
static void reference_b8(const m0nn_fc_s8_params_t *p, const uint8_t *u, int8_t *out)
{
    int32_t o;
    for (o = 0; o < p->out_size; ++o) {
        const int32_t block = o >> 3;
        const int32_t rows = M0NN_B8_ROWS(p->out_size, 8 * block);
        const int32_t stride = M0NN_B8_STRIDE(rows);
        const uint8_t *w = (const uint8_t *)p->weights + 8 * p->in_size * block + (o & 7);
        const int32_t c = p->per_channel ? o : 0;
        const int32_t z = p->weight_zero_point != NULL ? p->weight_zero_point[c] : 0;
        const int32_t right = -p->shift[c];
        int32_t acc = p->bias != NULL ? p->bias[o] : 0;
        int32_t y;
        int32_t i;
        for (i = 0; i < p->in_size; ++i) {
            acc += (int32_t)u[i] * ((int32_t)w[stride * i] - 128 - z);
        }
        y = ((acc * p->multiplier[c] + (1 << (right - 1))) >> right) + p->output_offset;
        y = y < p->act_min ? p->act_min : y > p->act_max ? p->act_max : y;
        out[o] = (int8_t)(uint8_t)((uint32_t)y & 0xFFu);
    }
}

static void fill(int8_t *buf)
{
    int32_t i;
    for (i = 0; i < OUT_BUF; ++i) {
        buf[i] = (int8_t)SENTINEL;
    }
}

/* bytes [from, OUT_BUF) still hold the sentinel */
static int untouched_from(const int8_t *buf, int32_t from)
{
    int32_t i;
    for (i = from; i < OUT_BUF; ++i) {
        if (buf[i] != (int8_t)SENTINEL) {
            return 0;
        }
    }
    return 1;
}

/* Weights legal for the kernel's layout, so that every accumulator stays in
 * the generator's range: b8 and b4 any bytes, b8w 16-bit lanes in [0, 255],
 * b8p words w1 + 65536 * w0 of int8 w0, w1 (never both -128). */
static void init_weights(int32_t kernel_index)
{
    int32_t i;
    rng_state = 12345u + (uint32_t)kernel_index;
    for (i = 0; i < (int32_t)sizeof weights; i += 4) {
        const uint32_t r = rnd();
        uint32_t v = r;
        if (kernel_index == 1) {
            v = r & 0x00FF00FFu;
        } else if (kernel_index == 2) {
            v = (uint32_t)(rnd_in(-127, 127) + 65536 * rnd_in(-127, 127));
        }
        weights[i] = (uint8_t)v;
        weights[i + 1] = (uint8_t)(v >> 8);
        weights[i + 2] = (uint8_t)(v >> 16);
        weights[i + 3] = (uint8_t)(v >> 24);
    }
}

static void run_cases(int32_t kernel_index)
{
    const entry_kernel_t *kern = &kernels[kernel_index];
    int32_t n;
    init_weights(kernel_index);
    rng_state = 0x9E3779B9u ^ (uint32_t)(kernel_index * 7919 + 1);
    for (n = 0; n < M0NN_ENTRY_CASES; ++n) {
        m0nn_fc_s8_params_t params;
        const m0nn_fc_s8_params_t *p;
        const int8_t *in;
        int8_t *out;
        int32_t p_null;
        m0nn_status_t want;
        m0nn_status_t got;
        make_case(&params, &in, &out, &p_null, kern->kernel.max_in);
        p = p_null ? NULL : &params;
        want = m0nn_fc_b8_mul32_check(p, in, out, kern->kernel.max_in);
        if (want == M0NN_OK && (params.in_size > MAX_IN || params.out_size > MAX_OUT)) {
            ++n_skipped; /* legal but larger than this test's buffers */
            continue;
        }
        if (want == M0NN_OK) {
            ++n_legal;
        } else {
            ++n_refused;
        }
        fill(out_pub);
#if defined(__ARM_ARCH_6M__)
        entry_bad = 0;
        got = checked_public(kern->public_fn, p, in, out);
        note_depth(&depth_public[kernel_index]);
        if (!m0nn_unit_eq_int(0, (int32_t)entry_bad, __LINE__, "registers, SP or frame after the public kernel")) {
            break;
        }
#else
        got = kern->public_fn(p, in, out);
#endif
        if (!m0nn_unit_eq_int(want, got, __LINE__, "status against m0nn_fc_b8_mul32_check") ||
            !m0nn_unit_eq_int(1, untouched_from(out_pub, want == M0NN_OK ? params.out_size : 0), __LINE__,
                              "bytes past out_size (all on a refusal) untouched")) {
            m0nn_unit_print(kern->name);
            m0nn_unit_print(" case ");
            m0nn_unit_print_int(n);
            m0nn_unit_print("\n");
            break;
        }
#if defined(__ARM_ARCH_6M__)
        {
            int8_t *const out_a = out == NULL ? NULL : out_asm;
            int8_t *const out_b = out == NULL ? NULL : out_c;
            m0nn_status_t got_asm;
            m0nn_status_t got_c;
            fill(out_asm);
            fill(out_c);
            entry_bad = 0;
            got_asm = checked_entry(p, in, out_a, &kern->kernel);
            note_depth(&depth_entry[kernel_index]);
            got_c = checked_c(p, in, out_b, &kern->kernel);
            note_depth(&depth_c[kernel_index]);
            if (!m0nn_unit_eq_int(0, (int32_t)entry_bad, __LINE__, "registers, SP or frame after the entry") ||
                !m0nn_unit_eq_int(got_c, got_asm, __LINE__, "entry status against m0nn_fc_b8_mul32_c") ||
                !m0nn_unit_eq_int(got_c, got, __LINE__, "public status against m0nn_fc_b8_mul32_c") ||
                !m0nn_unit_eq_s8(out_c, out_asm, OUT_BUF, __LINE__, "entry output against m0nn_fc_b8_mul32_c") ||
                !m0nn_unit_eq_s8(out_c, out_pub, OUT_BUF, __LINE__, "public output against m0nn_fc_b8_mul32_c")) {
                m0nn_unit_print(kern->name);
                m0nn_unit_print(" case ");
                m0nn_unit_print_int(n);
                m0nn_unit_print("\n");
                break;
            }
        }
#endif
        if (want == M0NN_OK && kernel_index == 0) {
            fill(out_ref);
            reference_b8(&params, input, out_ref);
            if (!m0nn_unit_eq_s8(out_ref, out_pub, OUT_BUF, __LINE__, "b8 output against the reference loop")) {
                m0nn_unit_print("b8 case ");
                m0nn_unit_print_int(n);
                m0nn_unit_print("\n");
                break;
            }
        }
    }
}

static void test_entry_b8(void)
{
    run_cases(0);
}

static void test_entry_b8w(void)
{
    run_cases(1);
}

static void test_entry_b8p(void)
{
    run_cases(2);
}

static void test_entry_b4(void)
{
    run_cases(3);
}

/* Both outcomes occur often enough for the comparison to mean something. */
static void test_case_mix(void)
{
    M0NN_ASSERT_EQ_INT(1, n_legal > M0NN_ENTRY_CASES / 2);
    M0NN_ASSERT_EQ_INT(1, n_refused > M0NN_ENTRY_CASES / 2);
    m0nn_unit_print("legal ");
    m0nn_unit_print_int(n_legal);
    m0nn_unit_print(" refused ");
    m0nn_unit_print_int(n_refused);
    m0nn_unit_print(" skipped ");
    m0nn_unit_print_int(n_skipped);
    m0nn_unit_print("\n");
#if defined(__ARM_ARCH_6M__)
    {
        int32_t k;
        for (k = 0; k < 4; ++k) {
            /* stack high-water marks from the call (m0nn.graph.stack_size bounds them) */
            m0nn_unit_print(kernels[k].name);
            m0nn_unit_print(" stack: public ");
            m0nn_unit_print_int(depth_public[k]);
            m0nn_unit_print(", entry ");
            m0nn_unit_print_int(depth_entry[k]);
            m0nn_unit_print(", C walk ");
            m0nn_unit_print_int(depth_c[k]);
            m0nn_unit_print("\n");
            M0NN_ASSERT_EQ_INT(1, depth_public[k] < 4 * PAINT_WORDS && depth_c[k] < 4 * PAINT_WORDS);
        }
    }
#endif
}

/* m0nn_mul32_tables_bad at every length 1..70 with a bad value at each
 * position, the tables ending where their arrays end (AddressSanitizer on
 * native_asan catches a read of entry n); on ARMv6-M, where nothing guards the
 * end, the entry past the end is a bad value instead (a read of it refuses). */
#if defined(__ARM_ARCH_6M__)
#define TAB_GUARD 1
#else
#define TAB_GUARD 0
#endif
static int32_t tab_s[70 + TAB_GUARD];
static int32_t tab_m[70 + TAB_GUARD];

static void test_tables_to_the_end(void)
{
    static const int32_t bad_shifts[] = {-32, 0, 1, 31, INT_MIN32, INT_MAX32, -33};
    static const int32_t bad_mults[] = {-1, INT_MIN32, -2};
    int32_t n;
    int32_t at;
    uint32_t b;
    for (n = 1; n <= 70; ++n) {
        int32_t *const s = tab_s + 70 - n;
        int32_t *const m = tab_m + 70 - n;
        for (at = 0; at < n; ++at) {
            s[at] = (at & 3) == 0 ? -31 : (at & 3) == 1 ? -1 : -16 - (at & 7);
            m[at] = (at & 1) ? INT_MAX32 : at;
        }
        if (TAB_GUARD) {
            tab_s[70] = 0;
            tab_m[70] = -1;
        }
        M0NN_ASSERT_EQ_INT(0, (int32_t)m0nn_mul32_tables_bad(s, m, n));
        for (at = 0; at < n; ++at) {
            const int32_t saved_s = s[at];
            const int32_t saved_m = m[at];
            for (b = 0; b < sizeof bad_shifts / sizeof bad_shifts[0]; ++b) {
                s[at] = bad_shifts[b];
                M0NN_ASSERT_EQ_INT(1, m0nn_mul32_tables_bad(s, m, n) != 0u);
            }
            s[at] = saved_s;
            for (b = 0; b < sizeof bad_mults / sizeof bad_mults[0]; ++b) {
                m[at] = bad_mults[b];
                M0NN_ASSERT_EQ_INT(1, m0nn_mul32_tables_bad(s, m, n) != 0u);
            }
            m[at] = saved_m;
        }
    }
}

int main(void)
{
    M0NN_RUN_TEST(test_entry_b8);
    M0NN_RUN_TEST(test_entry_b8w);
    M0NN_RUN_TEST(test_entry_b8p);
    M0NN_RUN_TEST(test_entry_b4);
    M0NN_RUN_TEST(test_case_mix);
    M0NN_RUN_TEST(test_tables_to_the_end);
    return m0nn_unit_end();
}
