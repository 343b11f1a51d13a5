/* m0nn_fc_s8, m0nn_fc_s8_small, m0nn_fc_s8_b8 (and m0nn_fc_s8_b8p on golden_fc_s8_b8p.h) against golden vectors from
 * the Python integer reference (golden_fc_s8.h, written by `m0nn golden`): every output must be equal, for both kernels
 * (the blocked ones read the offset-binary input), and neither may write past out_size. */
#include "golden_fc_s8.h"
#include "golden_fc_s8_b8p.h"
#include "m0nn.h"
#include "m0nn_internal.h" /* M0NN_Q31_SPLIT_ACC_MAX */
#include "m0nn_unit.h"

#define MAX_OUT 64

/* Under AddressSanitizer (native_asan) the bytes past an input are poisoned:
 * a kernel that reads one fails there. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define M0NN_TEST_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define M0NN_TEST_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define M0NN_TEST_POISON(p, n) ((void)(p), (void)(n))
#define M0NN_TEST_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static void check_kernel(m0nn_fc_fn_t kernel, const m0nn_fc_s8_params_t *params, const golden_fc_case_t *c,
                         const int8_t *input)
{
    int8_t out[MAX_OUT + 1];
    M0NN_ASSERT_EQ_INT(1, params->out_size <= MAX_OUT);
    out[params->out_size] = 0x5a;
    M0NN_ASSERT_EQ_INT(M0NN_OK, kernel(params, input, out));
    M0NN_ASSERT_EQ_S8(c->expected, out, params->out_size);
    M0NN_ASSERT_EQ_INT(0x5a, out[params->out_size]);
}

static void check_reference_kernel(int32_t index)
{
    check_kernel(m0nn_fc_s8, &golden_fc_cases[index].params, &golden_fc_cases[index], golden_fc_cases[index].input);
}

static void check_blocked_kernel(int32_t index)
{
    const golden_fc_case_t *c = &golden_fc_cases[index];
    const m0nn_fc_fn_t kernels[3] = {m0nn_fc_s8_b8_q31, m0nn_fc_s8_b8, m0nn_fc_s8_b8_shift};
    check_kernel(kernels[c->params_b8.requant], &c->params_b8, c, (const int8_t *)c->input_u8);
}

static void check_wide_kernel(int32_t index)
{
    const golden_fc_case_t *c = &golden_fc_cases[index];
    const m0nn_fc_fn_t kernels[3] = {m0nn_fc_s8_b8w_q31, m0nn_fc_s8_b8w, m0nn_fc_s8_b8w_shift};
    check_kernel(kernels[c->params_b8w.requant], &c->params_b8w, c, (const int8_t *)c->input_u8);
}

/* Whether a Q31 case lies in the split kernels' domain: every shift a right
 * shift and every accumulator of its input within M0NN_Q31_SPLIT_ACC_MAX (the
 * bound the generator proves for every input; here the actual ones). */
static int32_t in_split_domain(const m0nn_fc_s8_params_t *p, const int8_t *input)
{
    const int8_t *w = (const int8_t *)p->weights;
    int32_t o;
    int32_t i;
    for (o = 0; o < p->out_size; ++o) {
        const int32_t q = p->per_channel ? o : 0;
        const int32_t z = p->weight_zero_point != NULL ? p->weight_zero_point[q] : 0;
        int32_t acc = 0;
        for (i = 0; i < p->in_size; ++i) {
            acc += (input[i] + p->input_offset) * (w[o * p->in_size + i] - z);
        }
        acc += p->bias != NULL ? p->bias[o] : 0;
        if (p->shift[q] > -1 || acc > M0NN_Q31_SPLIT_ACC_MAX || acc < -M0NN_Q31_SPLIT_ACC_MAX) {
            return 0;
        }
    }
    return 1;
}

/* The Q31 split kernels on every Q31 case in their domain: the same outputs. */
static int32_t split_cases_run;

static void check_split_kernels(int32_t index)
{
    const golden_fc_case_t *c = &golden_fc_cases[index];
    if (c->params.requant != M0NN_REQUANT_Q31 || !in_split_domain(&c->params, c->input)) {
        return;
    }
    ++split_cases_run;
    check_kernel(m0nn_fc_s8_b8_q31_split, &c->params_b8, c, (const int8_t *)c->input_u8);
    check_kernel(m0nn_fc_s8_b8w_q31_split, &c->params_b8w, c, (const int8_t *)c->input_u8);
}

static void test_split_kernels_ran_on_enough_cases(void)
{
    M0NN_ASSERT_EQ_INT(1, split_cases_run >= 10);
}

/* kernel=small: the reference's results on every MUL32 case, alone and as a
 * one-layer model through m0nn_model_run_small; any other mode is refused
 * with the output untouched. */
static void check_small_kernel(int32_t index)
{
    const golden_fc_case_t *c = &golden_fc_cases[index];
    int8_t out[MAX_OUT + 1];
    m0nn_layer_t layer;
    m0nn_model_t model;
    int32_t i;
    if (c->params.requant == M0NN_REQUANT_MUL32) {
        check_kernel(m0nn_fc_s8_small, &c->params, c, c->input);
        layer.run = m0nn_fc_s8_small;
        layer.input_u8 = 0;
        layer.params = c->params;
        model.n_layers = 1;
        model.arena_size = 0;
        model.layers = &layer;
        out[c->params.out_size] = 0x5a;
        M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run_small(&model, c->input, out, NULL));
        M0NN_ASSERT_EQ_S8(c->expected, out, c->params.out_size);
        M0NN_ASSERT_EQ_INT(0x5a, out[c->params.out_size]);
        return;
    }
    for (i = 0; i <= MAX_OUT; ++i) {
        out[i] = 0x5a;
    }
    /* SHIFT layers have no multipliers (NULL), which MUL32 requires */
    M0NN_ASSERT_EQ_INT(c->params.multiplier == NULL ? M0NN_ERR_NULL : M0NN_ERR_QUANT,
                       m0nn_fc_s8_small(&c->params, c->input, out));
    for (i = 0; i <= MAX_OUT; ++i) {
        M0NN_ASSERT_EQ_INT(0x5a, out[i]);
    }
}

static const golden_fc_case_t *first_mul32_case(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        if (golden_fc_cases[i].params.requant == M0NN_REQUANT_MUL32) {
            return &golden_fc_cases[i];
        }
    }
    return NULL;
}

/* The ranges of m0nn_fc_s8_check for MUL32 (m0nn.legal mirrors them), and the
 * runner's own checks. */
static void test_small_kernel_and_runner_reject_bad_arguments(void)
{
    const golden_fc_case_t *c = first_mul32_case();
    m0nn_fc_s8_params_t p;
    m0nn_layer_t layers[2];
    m0nn_model_t model = {2, 0, layers};
    int8_t arena[2 * MAX_OUT];
    int8_t out[MAX_OUT];
    int32_t shift[MAX_OUT];
    int32_t z = 128;
    int32_t i;
    M0NN_ASSERT_EQ_INT(1, c != NULL);
    p = c->params;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_fc_s8_small(&p, NULL, out));
    p.in_size = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_fc_s8_small(&p, c->input, out));
    p = c->params;
    p.input_offset = 129;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8_small(&p, c->input, out));
    p = c->params;
    p.weight_zero_point = &z; /* outside [-128, 127] */
    p.per_channel = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8_small(&p, c->input, out));
    p = c->params;
    p.per_channel = 2;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_small(&p, c->input, out));
    p = c->params;
    M0NN_ASSERT_EQ_INT(1, p.out_size <= MAX_OUT);
    for (i = 0; i < (p.per_channel ? p.out_size : 1); ++i) {
        shift[i] = p.shift[i];
    }
    p.shift = shift;
    shift[0] = 0; /* MUL32 shifts lie in [-31, -1] */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_small(&p, c->input, out));
    shift[0] = -32;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_small(&p, c->input, out));
    shift[0] = -31;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8_small(&p, c->input, out));

    layers[0].run = m0nn_fc_s8_small;
    layers[0].input_u8 = 0;
    layers[0].params = c->params;
    layers[1] = layers[0];
    layers[1].params.in_size = c->params.out_size + 1; /* the chain breaks */
    model.arena_size = (int32_t)sizeof(arena);
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_model_run_small(&model, c->input, out, arena));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_model_run_small(&model, c->input, out, NULL));
    model.n_layers = 1;
    layers[0].input_u8 = 1; /* this runner converts no offset-binary input */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_model_run_small(&model, c->input, out, arena));
    layers[0].input_u8 = 0;
    layers[0].run = NULL;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_model_run_small(&model, c->input, out, arena));
}

static void test_blocked_kernels_reject_input_offset_and_other_requant(void)
{
    m0nn_fc_s8_params_t p = golden_fc_cases[0].params_b8; /* a Q31 case */
    int8_t out[MAX_OUT];
    M0NN_ASSERT_EQ_INT(M0NN_REQUANT_Q31, p.requant);
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_b8(&p, golden_fc_cases[0].input, out));
    p.input_offset = 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8_b8_q31(&p, golden_fc_cases[0].input, out));
    p.input_offset = 0;
    p.requant = M0NN_REQUANT_MUL32;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_b8_q31(&p, golden_fc_cases[0].input, out));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_b8_shift(&p, golden_fc_cases[0].input, out));
    p.weights = (const uint8_t *)p.weights + 1; /* the assembly reads weights by word */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_ALIGN, m0nn_fc_s8_b8(&p, golden_fc_cases[0].input, out));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_ALIGN, m0nn_fc_s8_b8w(&p, golden_fc_cases[0].input, out));
    p.requant = M0NN_REQUANT_Q31;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_ALIGN, m0nn_fc_s8_b8_q31(&p, golden_fc_cases[0].input, out));
    p = golden_fc_cases[0].params_b8;
    p.act_min = -1; /* a clamp must lie within the int8 or the uint8 range */
    p.act_max = 128;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8_b8_q31(&p, golden_fc_cases[0].input, out));
    p.act_min = 0;
    p.act_max = 256;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8_b8_q31(&p, golden_fc_cases[0].input, out));
}

/* The pairs layout (m0nn_fc_s8_b8p) on its own cases: in_size 1 to 64, last
 * blocks of 1-7 rows, the lane's bounds, clamps, a weight zero point. Each
 * from the golden array, then copied to 0-3 bytes past a word boundary (the
 * ARMv6-M staging reads a word-aligned input by words, any other by bytes),
 * with every byte past the input poisoned under AddressSanitizer. */
static uint8_t pairs_input[M0NN_B8P_MAX_IN + 8] __attribute__((aligned(8))); /* whole ASan granules */

static void check_pairs_kernel(int32_t index)
{
    const golden_fc_b8p_case_t *c = &golden_fc_b8p_cases[index];
    const int32_t n = c->params.in_size;
    int8_t out[MAX_OUT + 1];
    int32_t off;
    int32_t i;
    M0NN_ASSERT_EQ_INT(1, c->params.out_size <= MAX_OUT);
    M0NN_ASSERT_EQ_INT(1, n <= M0NN_B8P_MAX_IN);
    out[c->params.out_size] = 0x5a;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8_b8p(&c->params, (const int8_t *)c->input_u8, out));
    M0NN_ASSERT_EQ_S8(c->expected, out, c->params.out_size);
    M0NN_ASSERT_EQ_INT(0x5a, out[c->params.out_size]);
    for (off = 0; off < 4; ++off) {
        for (i = 0; i < (int32_t)sizeof pairs_input; ++i) {
            pairs_input[i] = i >= off && i < off + n ? c->input_u8[i - off] : 0xa5;
        }
        for (i = 0; i <= c->params.out_size; ++i) {
            out[i] = 0x5a;
        }
        M0NN_TEST_POISON(pairs_input + off + n, sizeof pairs_input - (size_t)(off + n));
        M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8_b8p(&c->params, (const int8_t *)(pairs_input + off), out));
        M0NN_TEST_UNPOISON(pairs_input, sizeof pairs_input);
        M0NN_ASSERT_EQ_S8(c->expected, out, c->params.out_size);
        M0NN_ASSERT_EQ_INT(0x5a, out[c->params.out_size]);
    }
}

/* MUL32 only, in_size <= 64, word-aligned weights, no input offset; the output
 * untouched on every error. */
static void test_pairs_kernel_rejects_bad_arguments(void)
{
    const golden_fc_b8p_case_t *c = &golden_fc_b8p_cases[GOLDEN_FC_B8P_N_CASES - 1];
    m0nn_fc_s8_params_t p = c->params;
    int8_t out[MAX_OUT];
    int32_t i;
    for (i = 0; i < MAX_OUT; ++i) {
        out[i] = 0x5a;
    }
    p.in_size = 65;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_fc_s8_b8p(&p, (const int8_t *)c->input_u8, out));
    p = c->params;
    p.requant = M0NN_REQUANT_Q31;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8_b8p(&p, (const int8_t *)c->input_u8, out));
    p = c->params;
    p.input_offset = 3;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8_b8p(&p, (const int8_t *)c->input_u8, out));
    p = c->params;
    p.weights = (const uint8_t *)p.weights + 2;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_ALIGN, m0nn_fc_s8_b8p(&p, (const int8_t *)c->input_u8, out));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_fc_s8_b8p(&c->params, NULL, out));
    for (i = 0; i < MAX_OUT; ++i) {
        M0NN_ASSERT_EQ_INT(0x5a, out[i]);
    }
}

/* The MUL32 blocked kernels' one check (m0nn_fc_b8_mul32_check): every refusal
 * reason of m0nn_fc_s8_b8, _b8w, _b8p and _b4, each leaving the output
 * untouched; the last channel's table entry (read last of all) included. */
static int32_t untouched(const int8_t *out)
{
    int32_t i;
    for (i = 0; i <= MAX_OUT; ++i) {
        if (out[i] != 0x5a) {
            return 0;
        }
    }
    return 1;
}

static void check_mul32_refusals(m0nn_fc_fn_t kernel, const m0nn_fc_s8_params_t *good, const int8_t *input,
                                 int32_t max_in)
{
    static const int32_t z_bad[MAX_OUT] = {0, 128};
    int32_t m[MAX_OUT];
    int32_t s[MAX_OUT];
    int8_t out[MAX_OUT + 1];
    m0nn_fc_s8_params_t p;
    const int32_t n_quant = good->per_channel ? good->out_size : 1;
    int32_t i;
    int32_t k;
    for (i = 0; i <= MAX_OUT; ++i) {
        out[i] = 0x5a;
    }
    M0NN_ASSERT_EQ_INT(1, good->out_size <= MAX_OUT && good->requant == M0NN_REQUANT_MUL32);
    for (i = 0; i < n_quant; ++i) {
        m[i] = good->multiplier[i];
        s[i] = good->shift[i];
    }
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, kernel(NULL, input, out));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, kernel(good, NULL, out));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, kernel(good, input, NULL));
    for (k = 0; k < 3; ++k) {
        p = *good;
        p.weights = k == 0 ? NULL : p.weights;
        p.shift = k == 1 ? NULL : p.shift;
        p.multiplier = k == 2 ? NULL : p.multiplier;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, kernel(&p, input, out));
    }
    for (k = 0; k < 4; ++k) {
        p = *good;
        p.in_size = k == 0 ? 0 : k == 1 ? 65536 : p.in_size;
        p.out_size = k == 2 ? 0 : k == 3 ? 65536 : p.out_size;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, kernel(&p, input, out));
    }
    for (k = 0; k < 8; ++k) {
        p = *good;
        p.input_offset = k == 0 ? 1 : k == 1 ? -1 : 0;
        p.output_offset = k == 2 ? -129 : k == 3 ? 256 : p.output_offset;
        p.act_min = k == 4 ? -129 : k == 5 ? -1 : k == 6 ? 0 : k == 7 ? 5 : p.act_min;
        p.act_max = k == 5 ? 128 : k == 6 ? 256 : k == 7 ? 4 : p.act_max;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, kernel(&p, input, out));
    }
    p = *good;
    p.per_channel = 2;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernel(&p, input, out));
    p = *good;
    p.per_channel = 0;
    p.weight_zero_point = &z_bad[1];
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, kernel(&p, input, out));
    p = *good;
    p.requant = M0NN_REQUANT_Q31;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernel(&p, input, out));
    p.requant = 7;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernel(&p, input, out));
    if (max_in < 65535) {
        p = *good;
        p.in_size = max_in + 1;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, kernel(&p, input, out));
    }
    p = *good;
    p.weights = (const uint8_t *)p.weights + 2;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_ALIGN, kernel(&p, input, out));
    p = *good;
    p.shift = s;
    p.multiplier = m;
    for (k = 0; k < 3; ++k) {
        s[n_quant - 1] = k == 0 ? 0 : k == 1 ? -32 : s[n_quant - 1];
        m[n_quant - 1] = k == 2 ? -1 : m[n_quant - 1];
        M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernel(&p, input, out));
        s[n_quant - 1] = good->shift[n_quant - 1];
        m[n_quant - 1] = good->multiplier[n_quant - 1];
    }
    M0NN_ASSERT_EQ_INT(1, untouched(out));
    M0NN_ASSERT_EQ_INT(M0NN_OK, kernel(&p, input, out)); /* the copies are good: the kernel writes */
    M0NN_ASSERT_EQ_INT(0, untouched(out));
}

static void test_mul32_blocked_kernels_refuse_every_bad_argument(void)
{
    const golden_fc_b8p_case_t *pc = &golden_fc_b8p_cases[GOLDEN_FC_B8P_N_CASES - 1];
    int32_t found = 0;
    int32_t i;
    check_mul32_refusals(m0nn_fc_s8_b8p, &pc->params, (const int8_t *)pc->input_u8, 64);
    for (i = 0; i < GOLDEN_FC_N_CASES && !found; ++i) {
        const golden_fc_case_t *c = &golden_fc_cases[i];
        if (c->params_b8.requant == M0NN_REQUANT_MUL32 && c->params_b8.per_channel && c->params_b8.out_size > 8) {
            check_mul32_refusals(m0nn_fc_s8_b8, &c->params_b8, (const int8_t *)c->input_u8, 65535);
            check_mul32_refusals(m0nn_fc_s8_b8w, &c->params_b8w, (const int8_t *)c->input_u8, 65535);
            found = 1;
        }
    }
    M0NN_ASSERT_EQ_INT(1, found);
}

/* A NULL params pointer: M0NN_ERR_NULL from every FC kernel, read before
 * anything else (the blocked walks used to read params->per_channel and more
 * before their check: undefined, a crash on the host). */
static void test_kernels_refuse_null_params(void)
{
    static const m0nn_fc_fn_t kernels[] = {
        m0nn_fc_s8,           m0nn_fc_s8_small,         m0nn_fc_s8_b8,           m0nn_fc_s8_b8_q31,
        m0nn_fc_s8_b8_shift,  m0nn_fc_s8_b8_q31_split,  m0nn_fc_s8_b8w,          m0nn_fc_s8_b8w_q31,
        m0nn_fc_s8_b8w_shift, m0nn_fc_s8_b8w_q31_split, m0nn_fc_s8_b8p,          m0nn_fc_s8_b4,
        m0nn_fc_s8_b4_q31,    m0nn_fc_s8_b4_shift,      m0nn_fc_s8_b4_q31_split,
    };
    const int8_t input[4] = {0, 0, 0, 0};
    int8_t out[4] = {0x5a, 0x5a, 0x5a, 0x5a};
    uint32_t k;
    int32_t i;
    for (k = 0; k < sizeof kernels / sizeof kernels[0]; ++k) {
        M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, kernels[k](NULL, input, out));
    }
    for (i = 0; i < 4; ++i) {
        M0NN_ASSERT_EQ_INT(0x5a, out[i]);
    }
}

/* Calls with several faults: each returns the first in its kernel's order
 * (m0nn.h: "A call with several faults returns the first in its kernel's
 * order"), the output untouched. The cases as data: the faults each call
 * has, the status it must return. */
enum {
    F_INPUT_NULL = 1 << 0,
    F_IN_SIZE_0 = 1 << 1,
    F_OUT_SIZE_0 = 1 << 2,
    F_INPUT_OFFSET = 1 << 3, /* input_offset 1: within m0nn_fc_s8's range, not 0 */
    F_ACT_CROSSED = 1 << 4,  /* act_min 5 > act_max 4 */
    F_PER_CHANNEL = 1 << 5,  /* per_channel 2 */
    F_ZERO_POINT = 1 << 6,   /* the last channel's weight zero point 128 */
    F_OTHER_MODE = 1 << 7,   /* requant: another mode than the kernel's */
    F_IN_SIZE_65 = 1 << 8,   /* above _b8p's in_size limit (64) */
    F_MISALIGNED = 1 << 9,   /* weights 2 bytes past a word boundary */
    F_SHIFT_31 = 1 << 10,    /* the last channel's shift 31: outside every mode's range */
    F_SHIFT_0 = 1 << 11      /* the last channel's shift 0: legal Q31, not for _q31_split */
};

typedef struct {
    uint32_t faults;
    m0nn_status_t expected;
} fault_case_t;

/* m0nn_fc_s8_b8, _b8w, _b8p, _b4 (m0nn_fc_b8_mul32_check) */
static const fault_case_t mul32_order[] = {
    {F_INPUT_NULL | F_IN_SIZE_0, M0NN_ERR_NULL},      {F_OUT_SIZE_0 | F_INPUT_OFFSET, M0NN_ERR_SIZE},
    {F_ACT_CROSSED | F_PER_CHANNEL, M0NN_ERR_OFFSET}, {F_INPUT_OFFSET | F_PER_CHANNEL, M0NN_ERR_OFFSET},
    {F_PER_CHANNEL | F_ZERO_POINT, M0NN_ERR_QUANT},   {F_ZERO_POINT | F_OTHER_MODE, M0NN_ERR_OFFSET},
    {F_OTHER_MODE | F_MISALIGNED, M0NN_ERR_QUANT},    {F_MISALIGNED | F_SHIFT_31, M0NN_ERR_ALIGN},
    {F_INPUT_OFFSET | F_SHIFT_31, M0NN_ERR_OFFSET},
};
/* m0nn_fc_s8_b8p's in_size limit, between the mode and the alignment */
static const fault_case_t pairs_order[] = {
    {F_OTHER_MODE | F_IN_SIZE_65, M0NN_ERR_QUANT},
    {F_IN_SIZE_65 | F_MISALIGNED, M0NN_ERR_SIZE},
};
/* the _q31, _shift and _q31_split blocked kernels */
static const fault_case_t walk_order[] = {
    {F_OTHER_MODE | F_INPUT_NULL, M0NN_ERR_QUANT},    {F_INPUT_NULL | F_OUT_SIZE_0, M0NN_ERR_NULL},
    {F_ACT_CROSSED | F_PER_CHANNEL, M0NN_ERR_OFFSET}, {F_PER_CHANNEL | F_ZERO_POINT, M0NN_ERR_QUANT},
    {F_INPUT_OFFSET | F_SHIFT_31, M0NN_ERR_QUANT},    {F_INPUT_OFFSET | F_MISALIGNED, M0NN_ERR_OFFSET},
    {F_SHIFT_31 | F_MISALIGNED, M0NN_ERR_QUANT},
};
/* _q31_split's own shift range, last */
static const fault_case_t split_order[] = {
    {F_MISALIGNED | F_SHIFT_0, M0NN_ERR_ALIGN},
    {F_INPUT_OFFSET | F_SHIFT_0, M0NN_ERR_OFFSET},
};

static void check_fault_order(m0nn_fc_fn_t kernel, const char *name, const m0nn_fc_s8_params_t *good,
                              const int8_t *input, const fault_case_t *cases, int32_t n_cases, int32_t other_mode)
{
    static int32_t s[MAX_OUT];
    static int32_t z[MAX_OUT];
    const int32_t n_quant = good->per_channel ? good->out_size : 1;
    int8_t out[MAX_OUT + 1];
    int32_t k;
    int32_t i;
    M0NN_ASSERT_EQ_INT(1, good->out_size <= MAX_OUT);
    for (k = 0; k < n_cases; ++k) {
        const uint32_t f = cases[k].faults;
        m0nn_fc_s8_params_t p = *good;
        m0nn_status_t got;
        for (i = 0; i < n_quant; ++i) {
            s[i] = good->shift[i];
            z[i] = 0;
        }
        for (i = 0; i <= MAX_OUT; ++i) {
            out[i] = 0x5a;
        }
        s[n_quant - 1] = (f & F_SHIFT_31) ? 31 : (f & F_SHIFT_0) ? 0 : s[n_quant - 1];
        z[n_quant - 1] = (f & F_ZERO_POINT) ? 128 : 0;
        p.shift = s;
        p.weight_zero_point = (f & F_ZERO_POINT) ? z : p.weight_zero_point;
        p.in_size = (f & F_IN_SIZE_0) ? 0 : (f & F_IN_SIZE_65) ? 65 : p.in_size;
        p.out_size = (f & F_OUT_SIZE_0) ? 0 : p.out_size;
        p.input_offset = (f & F_INPUT_OFFSET) ? 1 : p.input_offset;
        p.act_min = (f & F_ACT_CROSSED) ? 5 : p.act_min;
        p.act_max = (f & F_ACT_CROSSED) ? 4 : p.act_max;
        p.per_channel = (f & F_PER_CHANNEL) ? 2 : p.per_channel;
        p.requant = (f & F_OTHER_MODE) ? other_mode : p.requant;
        p.weights = (f & F_MISALIGNED) ? (const void *)((const uint8_t *)p.weights + 2) : p.weights;
        got = kernel(&p, (f & F_INPUT_NULL) ? NULL : input, out);
        if (!m0nn_unit_eq_int(cases[k].expected, got, __LINE__, "status of a call with several faults") ||
            !m0nn_unit_eq_int(1, untouched(out), __LINE__, "output untouched")) {
            m0nn_unit_print(name);
            m0nn_unit_print(" faults (F_ bits) ");
            m0nn_unit_print_int((int32_t)f);
            m0nn_unit_print("\n");
            return;
        }
    }
}

#define N_CASES(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

static void test_fc_blocked_kernels_return_the_first_fault_in_their_order(void)
{
    static const m0nn_fc_fn_t mul32[4] = {m0nn_fc_s8_b8, m0nn_fc_s8_b8w, m0nn_fc_s8_b4, m0nn_fc_s8_b8p};
    static const m0nn_fc_fn_t q31[6] = {m0nn_fc_s8_b8_q31,       m0nn_fc_s8_b8w_q31,       m0nn_fc_s8_b4_q31,
                                        m0nn_fc_s8_b8_q31_split, m0nn_fc_s8_b8w_q31_split, m0nn_fc_s8_b4_q31_split};
    static const m0nn_fc_fn_t shift[3] = {m0nn_fc_s8_b8_shift, m0nn_fc_s8_b8w_shift, m0nn_fc_s8_b4_shift};
    static const char *const mul32_names[4] = {"b8", "b8w", "b4", "b8p"};
    static const char *const q31_names[6] = {"b8_q31",       "b8w_q31",       "b4_q31",
                                             "b8_q31_split", "b8w_q31_split", "b4_q31_split"};
    static const char *const shift_names[3] = {"b8_shift", "b8w_shift", "b4_shift"};
    const golden_fc_b8p_case_t *pc = &golden_fc_b8p_cases[GOLDEN_FC_B8P_N_CASES - 1];
    const golden_fc_case_t *by_mode[3] = {NULL, NULL, NULL}; /* a per-channel case of each mode */
    int32_t i;
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        const m0nn_fc_s8_params_t *p = &golden_fc_cases[i].params_b8;
        if (by_mode[p->requant] == NULL && p->per_channel && p->out_size > 8) {
            by_mode[p->requant] = &golden_fc_cases[i];
        }
    }
    M0NN_ASSERT_EQ_INT(1, by_mode[M0NN_REQUANT_Q31] != NULL && by_mode[M0NN_REQUANT_MUL32] != NULL &&
                              by_mode[M0NN_REQUANT_SHIFT] != NULL);
    for (i = 0; i < 4; ++i) {
        /* refusals only: no layout is read, so b4 and b8p take b8's case too */
        const golden_fc_case_t *c = by_mode[M0NN_REQUANT_MUL32];
        const m0nn_fc_s8_params_t *p = i == 1 ? &c->params_b8w : &c->params_b8;
        check_fault_order(mul32[i], mul32_names[i], p, (const int8_t *)c->input_u8, mul32_order, N_CASES(mul32_order),
                          M0NN_REQUANT_Q31);
    }
    check_fault_order(m0nn_fc_s8_b8p, "b8p", &pc->params, (const int8_t *)pc->input_u8, pairs_order,
                      N_CASES(pairs_order), M0NN_REQUANT_Q31);
    for (i = 0; i < 6; ++i) {
        const golden_fc_case_t *c = by_mode[M0NN_REQUANT_Q31];
        const m0nn_fc_s8_params_t *p = (i == 1 || i == 4) ? &c->params_b8w : &c->params_b8; /* b8w, b8w_q31_split */
        check_fault_order(q31[i], q31_names[i], p, (const int8_t *)c->input_u8, walk_order, N_CASES(walk_order),
                          M0NN_REQUANT_MUL32);
        if (i >= 3) {
            check_fault_order(q31[i], q31_names[i], p, (const int8_t *)c->input_u8, split_order, N_CASES(split_order),
                              M0NN_REQUANT_MUL32);
        }
    }
    for (i = 0; i < 3; ++i) {
        const golden_fc_case_t *c = by_mode[M0NN_REQUANT_SHIFT];
        const m0nn_fc_s8_params_t *p = i == 1 ? &c->params_b8w : &c->params_b8;
        check_fault_order(shift[i], shift_names[i], p, (const int8_t *)c->input_u8, walk_order, N_CASES(walk_order),
                          M0NN_REQUANT_MUL32);
    }
}

int main(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        m0nn_unit_run_case(check_reference_kernel, i, __FILE__, __LINE__, golden_fc_cases[i].name);
    }
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        m0nn_unit_run_case(check_blocked_kernel, i, __FILE__, __LINE__, golden_fc_cases[i].name);
    }
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        m0nn_unit_run_case(check_wide_kernel, i, __FILE__, __LINE__, golden_fc_cases[i].name);
    }
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        m0nn_unit_run_case(check_small_kernel, i, __FILE__, __LINE__, golden_fc_cases[i].name);
    }
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        m0nn_unit_run_case(check_split_kernels, i, __FILE__, __LINE__, golden_fc_cases[i].name);
    }
    for (i = 0; i < GOLDEN_FC_B8P_N_CASES; ++i) {
        m0nn_unit_run_case(check_pairs_kernel, i, __FILE__, __LINE__, golden_fc_b8p_cases[i].name);
    }
    M0NN_RUN_TEST(test_pairs_kernel_rejects_bad_arguments);
    M0NN_RUN_TEST(test_kernels_refuse_null_params);
    M0NN_RUN_TEST(test_mul32_blocked_kernels_refuse_every_bad_argument);
    M0NN_RUN_TEST(test_fc_blocked_kernels_return_the_first_fault_in_their_order);
    M0NN_RUN_TEST(test_split_kernels_ran_on_enough_cases);
    M0NN_RUN_TEST(test_blocked_kernels_reject_input_offset_and_other_requant);
    M0NN_RUN_TEST(test_small_kernel_and_runner_reject_bad_arguments);
    return m0nn_unit_end();
}
