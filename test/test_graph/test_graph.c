/* The graph runner and every graph operator against golden vectors from the
 * Python integer reference (golden_graph.h, written by `m0nn golden-graph`):
 * each operator's output for the first vectors (a mismatch names the operator
 * and the index), then every vector's output exactly; the arena as planned is
 * enough and nothing around it is touched. The depthwise kernel alone at its
 * edges against golden_depthwise.h (same generator). */
#include "golden_depthwise.h"
#include "golden_graph.h"
#include "m0nn.h"
#include "m0nn_unit.h"

#define ARENA_MAX 2048
#define OUT_MAX 1024
#define GUARD 8

typedef struct {
    const golden_graph_case_t *c;
    int32_t vector;
    int32_t offset;
    int32_t bad_op;
    int32_t bad_index;
    int32_t expected;
    int32_t actual;
} trace_check_t;

static void compare_op(void *ctx, int32_t op, const int8_t *output, int32_t size)
{
    trace_check_t *t = (trace_check_t *)ctx;
    const int8_t *want = t->c->trace + t->vector * t->c->trace_size + t->offset;
    int32_t i;
    for (i = 0; i < size && t->bad_op < 0; ++i) {
        if (output[i] != want[i]) {
            t->bad_op = op;
            t->bad_index = i;
            t->expected = want[i];
            t->actual = output[i];
        }
    }
    t->offset += size;
}

static void check_operators(int32_t index)
{
    const golden_graph_case_t *c = &golden_graph_cases[index];
    static int8_t arena[ARENA_MAX] M0NN_ALIGN4;
    int8_t out[OUT_MAX];
    int32_t n;
    M0NN_ASSERT_EQ_INT(1, c->graph->arena_size <= ARENA_MAX && c->graph->output_size <= OUT_MAX);
    for (n = 0; n < c->trace_n; ++n) {
        trace_check_t t = {0, 0, 0, -1, -1, 0, 0};
        t.c = c;
        t.vector = n;
        M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_graph_run_observed(c->graph, c->inputs + n * c->graph->input_size, out, arena,
                                                            compare_op, &t));
        if (t.bad_op >= 0) {
            m0nn_unit_eq_int(t.expected, t.actual, __LINE__, "operator output vs reference");
            m0nn_unit_print("  (vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(", operator ");
            m0nn_unit_print_int(t.bad_op);
            m0nn_unit_print(", index ");
            m0nn_unit_print_int(t.bad_index);
            m0nn_unit_print(")\n");
            return;
        }
    }
}

static void check_outputs(int32_t index)
{
    const golden_graph_case_t *c = &golden_graph_cases[index];
    static uint8_t arena[ARENA_MAX + 2 * GUARD] M0NN_ALIGN4;
    int8_t out[OUT_MAX + GUARD];
    const int32_t size = c->graph->arena_size;
    int32_t n, i;
    M0NN_ASSERT_EQ_INT(1, size + 2 * GUARD <= (int32_t)sizeof(arena) && c->graph->output_size + GUARD <= OUT_MAX);
    for (n = 0; n < c->n_tests; ++n) {
        for (i = 0; i < (int32_t)sizeof(arena); ++i) {
            arena[i] = 0xa5;
        }
        for (i = 0; i < GUARD; ++i) {
            out[c->graph->output_size + i] = 0x5a;
        }
        /* one byte off word alignment: the runner must not assume an aligned arena */
        M0NN_ASSERT_EQ_INT(M0NN_OK,
                           m0nn_graph_run(c->graph, c->inputs + n * c->graph->input_size, out, arena + GUARD + 1));
        if (!m0nn_unit_eq_s8(c->expected + n * c->graph->output_size, out, c->graph->output_size, __LINE__, "output")) {
            m0nn_unit_print("  (vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(")\n");
            return;
        }
        for (i = 0; i < GUARD + 1; ++i) {
            M0NN_ASSERT_EQ_INT(0xa5, arena[i]);
        }
        for (i = GUARD + 1 + size; i < (int32_t)sizeof(arena); ++i) {
            M0NN_ASSERT_EQ_INT(0xa5, arena[i]);
        }
        for (i = 0; i < GUARD; ++i) {
            M0NN_ASSERT_EQ_INT(0x5a, out[c->graph->output_size + i]);
        }
    }
}

/* m0nn_depthwise_conv_s8 on every vector of a golden_depthwise.h case: the
 * output exactly, and nothing written past it. */
static void check_depthwise(int32_t index)
{
    const golden_depthwise_case_t *c = &golden_depthwise_cases[index];
    static int8_t out[OUT_MAX + GUARD];
    int32_t n, i;
    M0NN_ASSERT_EQ_INT(1, c->out_size <= OUT_MAX);
    for (n = 0; n < c->n_vectors; ++n) {
        for (i = 0; i < c->out_size + GUARD; ++i) {
            out[i] = 0x5a;
        }
        M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_depthwise_conv_s8(c->params, c->input + n * c->in_size, out));
        if (!m0nn_unit_eq_s8(c->expected + n * c->out_size, out, c->out_size, __LINE__, "depthwise output")) {
            m0nn_unit_print("  (vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(")\n");
            return;
        }
        for (i = 0; i < GUARD; ++i) {
            M0NN_ASSERT_EQ_INT(0x5a, out[c->out_size + i]);
        }
    }
}

static void test_runner_rejects_bad_tables(void)
{
    const golden_graph_case_t *c = &golden_graph_cases[0];
    static int8_t arena[ARENA_MAX] M0NN_ALIGN4;
    int8_t out[OUT_MAX];
    m0nn_graph_t small = *c->graph;
    small.arena_size = c->graph->arena_size - 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_graph_run(c->graph, c->inputs, out, (void *)0));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&small, c->inputs, out, arena));
}

/* An operator whose kind has no entry in the model's table is an error, never a call. */
static void test_runner_rejects_kinds_without_an_entry(void)
{
    const golden_graph_case_t *c = &golden_graph_cases[0];
    static int8_t arena[ARENA_MAX] M0NN_ALIGN4;
    static const m0nn_op_fn_t none[M0NN_OP_TRANSPOSE + 1] = {0};
    int8_t out[OUT_MAX];
    m0nn_graph_t g = *c->graph;
    m0nn_op_t op = c->graph->ops[0];
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_graph_run(&g, c->inputs, out, arena));
    g.kinds = (const m0nn_op_fn_t *)0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_graph_run(&g, c->inputs, out, arena));
    g.n_kinds = 0; /* a header without the table */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&g, c->inputs, out, arena));
    g.kinds = none;
    g.n_kinds = M0NN_OP_TRANSPOSE + 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&g, c->inputs, out, arena));
    g = *c->graph;
    g.n_kinds = op.kind; /* the first operator's kind just past the table */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&g, c->inputs, out, arena));
    g = *c->graph;
    g.ops = &op;
    g.n_ops = 1;
    op.kind = -1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&g, c->inputs, out, arena));
    op.kind = c->graph->n_kinds;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&g, c->inputs, out, arena));
}

static void test_kernels_reject_bad_arguments(void)
{
    static const int8_t w[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const int32_t m[1] = {1 << 30}, sh[1] = {0}, bad_shift[1] = {31};
    static const uint16_t e[256] = {32768};
    static const int8_t table[256] = {0};
    const int8_t x[16] = {0};
    int8_t y[16];
    m0nn_conv_s8_params_t c = {4, 4,         1, 2,  2,         1,        3, 3,    1,   1,
                               1, 1,         0, 0,  0,         0,        0, -128, 127, M0NN_REQUANT_Q31,
                               w, (void *)0, m, sh, (void *)0, (void *)0};
    m0nn_pool_s8_params_t pl = {4, 4, 1, 2, 2, 2,         2,         2,         2,        0,
                                0, 0, 0, 0, 0, (void *)0, (void *)0, (void *)0, (void *)0};
    m0nn_add_s8_params_t a = {4, 0, 0, 1 << 30, 0, 1 << 30, 0, 1 << 30, 0, 0, -128, 127};
    m0nn_softmax_s8_params_t sm = {1, 4, 1, 1, -128, e};
    m0nn_lut_s8_params_t lut = {4, table};
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_conv_s8(&c, x, y));
    c.weights = (void *)0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_conv_s8(&c, x, y));
    c.weights = w;
    c.shift = bad_shift;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_conv_s8(&c, x, y));
    c.shift = sh;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_depthwise_conv_s8(&c, x, y)); /* depth_multiplier 0 */
    c.input_offset = 129;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_conv_s8(&c, x, y));
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_maxpool_s8(&pl, x, y));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_avgpool_s8(&pl, x, y)); /* no reciprocal table */
    pl.pad_top = 2;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_maxpool_s8(&pl, x, y)); /* pad >= kernel */
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_add_s8(&a, x, x, y));
    a.input1_shift = 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_add_s8(&a, x, x, y));
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_softmax_s8(&sm, x, y));
    sm.output_multiplier = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_softmax_s8(&sm, x, y));
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_lut_s8(&lut, x, y));
    lut.size = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_lut_s8(&lut, x, y));
}

/* The depthwise fast path reads only its lane tables: without int8 weights it
 * needs them, and a shape it does not take is refused before any output: every
 * byte of the output buffer (out_h x out_w x out_c, and the rest) is untouched. */
static void test_depthwise_lane_tables_or_weights(void)
{
    static const int32_t m[1] = {1 << 30}, sh[1] = {0}, lc[2] = {-129 * 45, 0}; /* B0, B1 of the weights 1..9 */
    static const uint32_t lw[3] = {0x04030201u, 0x08070605u, 9u};
    static const int8_t untouched[4] = {5, 5, 5, 5};
    const int8_t x[16] = {0};
    int8_t y[4] = {5, 5, 5, 5};
    int32_t i;
    m0nn_conv_s8_params_t c = {4,         4,         1, 2,  2,  1, 3, 3,    1,   1,
                               1,         1,         0, 0,  1,  0, 0, -128, 127, M0NN_REQUANT_Q31,
                               (void *)0, (void *)0, m, sh, lc, lw};
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_depthwise_conv_s8(&c, x, y));
    M0NN_ASSERT_EQ_INT(0, y[0] | y[1] | y[2] | y[3]); /* zero input: acc = 0 */
    c.stride_w = 2;
    c.out_w = 1; /* out_h = 2: two output bytes */
    for (i = 0; i < 4; ++i) {
        y[i] = untouched[i];
    }
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_depthwise_conv_s8(&c, x, y));
    M0NN_ASSERT_EQ_S8(untouched, y, 4);
    c.stride_w = 1;
    c.out_w = 2;
    c.lane_weights = (void *)0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_depthwise_conv_s8(&c, x, y));
    M0NN_ASSERT_EQ_S8(untouched, y, 4);
}

/* A requantized value next to an int32 bound plus the output offset: the sum
 * leaves int32 (undefined in C), the clamp of the exact sum is 127 (issue 13,
 * item 2, for the conv kernels). */
static void test_kernels_clamp_the_exact_offset_sum(void)
{
    static const int8_t w[1] = {1};
    static const int32_t bias[1] = {2147483646}, m[1] = {2147483647}, sh[1] = {0};
    const int8_t x[1] = {1};
    int8_t y[1] = {0};
    m0nn_conv_s8_params_t c = {1, 1,    1, 1,  1,         1,        1,   1,    1,   1,
                               1, 1,    0, 0,  0,         0,        127, -128, 127, M0NN_REQUANT_Q31,
                               w, bias, m, sh, (void *)0, (void *)0};
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_conv_s8(&c, x, y));
    M0NN_ASSERT_EQ_INT(127, y[0]);
    y[0] = 0;
    c.depth_multiplier = 1;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_depthwise_conv_s8(&c, x, y));
    M0NN_ASSERT_EQ_INT(127, y[0]);
}

int main(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_GRAPH_N_CASES; ++i) {
        m0nn_unit_run_case(check_operators, i, __FILE__, __LINE__, golden_graph_cases[i].name);
    }
    for (i = 0; i < GOLDEN_GRAPH_N_CASES; ++i) {
        m0nn_unit_run_case(check_outputs, i, __FILE__, __LINE__, golden_graph_cases[i].name);
    }
    for (i = 0; i < GOLDEN_DEPTHWISE_N_CASES; ++i) {
        m0nn_unit_run_case(check_depthwise, i, __FILE__, __LINE__, golden_depthwise_cases[i].name);
    }
    M0NN_RUN_TEST(test_runner_rejects_bad_tables);
    M0NN_RUN_TEST(test_runner_rejects_kinds_without_an_entry);
    M0NN_RUN_TEST(test_kernels_reject_bad_arguments);
    M0NN_RUN_TEST(test_depthwise_lane_tables_or_weights);
    M0NN_RUN_TEST(test_kernels_clamp_the_exact_offset_sum);
    return m0nn_unit_end();
}
