/* The end-to-end test of one generated graph (conv) model, the counterpart of
 * model_test_body.h for lib/m0nn's graph runner: define M0NN_TEST_MODEL (the
 * model's C name) and M0NN_TEST_MODEL_UP (its upper-case prefix), include the
 * model's two headers, then this file. It defines run_tests_<name>() and, unless
 * M0NN_TEST_NO_MAIN is defined, main(); with M0NN_TEST_NO_MAIN it can be included
 * once per model (m0nn_models_test.h), next to model_test_body.h.
 *
 * Checks, against the Python integer reference: the first vectors operator by
 * operator (a mismatch names the first operator that differs), then every
 * vector's output exactly; the arena is exactly large enough (one byte less is
 * refused) at any alignment and nothing around it or the output is touched. */
#include "m0nn.h"
#include "m0nn_unit.h"

#ifndef M0NN_GRAPH_MODEL_TEST_BODY_ONCE
#define M0NN_GRAPH_MODEL_TEST_BODY_ONCE

#define M0NN_GCAT2(a, b) a##b
#define M0NN_GCAT(a, b) M0NN_GCAT2(a, b)
#define M0NN_GSTR2(a) #a
#define M0NN_GSTR(a) M0NN_GSTR2(a)
#define GMODEL_(suffix) M0NN_GCAT(M0NN_TEST_MODEL, suffix)
#define GMODEL_UP_(suffix) M0NN_GCAT(M0NN_TEST_MODEL_UP, suffix)
#define GTEST_(suffix) M0NN_GCAT(M0NN_GCAT(test_, M0NN_TEST_MODEL), suffix)
#define GRUN_TEST_(suffix) m0nn_unit_run(GTEST_(suffix), __FILE__, __LINE__, M0NN_GSTR(GTEST_(suffix)))

#define M0NN_GRAPH_GUARD 8

typedef struct {
    int32_t vector;
    int32_t offset;
    int32_t first_bad_op;
    int32_t first_bad_index;
    int32_t expected;
    int32_t actual;
} m0nn_graph_trace_check_t;

#endif /* M0NN_GRAPH_MODEL_TEST_BODY_ONCE */

/* Per model: it reads this model's trace (a second model in the same program
 * must not be compared with the first one's). */
static void GTEST_(_compare_op)(void *ctx, int32_t op, const int8_t *output, int32_t size)
{
    m0nn_graph_trace_check_t *t = (m0nn_graph_trace_check_t *)ctx;
    int32_t i;
    if (t->first_bad_op < 0 && t->offset + size > GMODEL_UP_(_TRACE_SIZE)) {
        t->first_bad_op = op; /* more output than the reference traced */
        t->first_bad_index = GMODEL_UP_(_TRACE_SIZE) - t->offset;
        return;
    }
    for (i = 0; i < size && t->first_bad_op < 0; ++i) {
        if (output[i] != GMODEL_(_test_trace)[t->vector][t->offset + i]) {
            t->first_bad_op = op;
            t->first_bad_index = i;
            t->expected = GMODEL_(_test_trace)[t->vector][t->offset + i];
            t->actual = output[i];
        }
    }
    t->offset += size;
}

static void GTEST_(_operators_equal_the_reference)(void)
{
    static int8_t arena[GMODEL_UP_(_ARENA_SIZE) + 1] M0NN_ALIGN4;
    int8_t out[GMODEL_UP_(_OUTPUT_SIZE)];
    int32_t n;
    for (n = 0; n < GMODEL_UP_(_TRACE_N); ++n) {
        m0nn_graph_trace_check_t t = {0, 0, -1, -1, 0, 0};
        t.vector = n;
        M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_graph_run_observed(&GMODEL_(_graph), GMODEL_(_test_inputs)[n], out, arena,
                                                            GTEST_(_compare_op), &t));
        if (t.first_bad_op >= 0) {
            m0nn_unit_eq_int(-1, t.first_bad_op, __LINE__, "first operator that differs from the reference");
            m0nn_unit_print("  (test vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(", output index ");
            m0nn_unit_print_int(t.first_bad_index);
            m0nn_unit_print(", expected ");
            m0nn_unit_print_int(t.expected);
            m0nn_unit_print(", got ");
            m0nn_unit_print_int(t.actual);
            m0nn_unit_print(")\n");
            return;
        }
        /* every operator reported, and the trace ends with the model's output */
        M0NN_ASSERT_EQ_INT(GMODEL_UP_(_TRACE_SIZE), t.offset);
        M0NN_ASSERT_EQ_S8(GMODEL_(_test_expected)[n], out, GMODEL_UP_(_OUTPUT_SIZE));
    }
}

static void GTEST_(_every_output_equals_the_reference)(void)
{
    static int8_t arena[GMODEL_UP_(_ARENA_SIZE) + 1] M0NN_ALIGN4;
    int8_t out[GMODEL_UP_(_OUTPUT_SIZE)];
    int32_t n;
    for (n = 0; n < GMODEL_UP_(_N_TESTS); ++n) {
        M0NN_ASSERT_EQ_INT(M0NN_OK, GMODEL_(_run)(GMODEL_(_test_inputs)[n], out, arena));
        if (!m0nn_unit_eq_s8(GMODEL_(_test_expected)[n], out, GMODEL_UP_(_OUTPUT_SIZE), __LINE__, "output")) {
            m0nn_unit_print("  (test vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(")\n");
            return;
        }
    }
}

static void GTEST_(_arena_is_enough_and_respected)(void)
{
    /* At a word-aligned arena and one to three bytes off: guard bytes around the
     * arena and after the output stay untouched. */
    static uint8_t buf[M0NN_GRAPH_GUARD + GMODEL_UP_(_ARENA_SIZE) + M0NN_GRAPH_GUARD + 3] M0NN_ALIGN4;
    int8_t out[GMODEL_UP_(_OUTPUT_SIZE) + M0NN_GRAPH_GUARD];
    int32_t shift;
    int32_t i;
    for (shift = 0; shift < 4; ++shift) {
        uint8_t *const arena = buf + M0NN_GRAPH_GUARD + shift;
        for (i = 0; i < (int32_t)sizeof buf; ++i) {
            buf[i] = 0x3c;
        }
        for (i = 0; i < M0NN_GRAPH_GUARD; ++i) {
            out[GMODEL_UP_(_OUTPUT_SIZE) + i] = 0x5a;
        }
        M0NN_ASSERT_EQ_INT(M0NN_OK, GMODEL_(_run)(GMODEL_(_test_inputs)[0], out, arena));
        M0NN_ASSERT_EQ_S8(GMODEL_(_test_expected)[0], out, GMODEL_UP_(_OUTPUT_SIZE));
        for (i = 0; i < M0NN_GRAPH_GUARD; ++i) {
            M0NN_ASSERT_EQ_INT(0x3c, arena[i - M0NN_GRAPH_GUARD]);
            M0NN_ASSERT_EQ_INT(0x3c, arena[GMODEL_UP_(_ARENA_SIZE) + i]);
            M0NN_ASSERT_EQ_INT(0x5a, out[GMODEL_UP_(_OUTPUT_SIZE) + i]);
        }
    }
}

static void GTEST_(_arena_one_byte_short_is_rejected)(void)
{
    static int8_t arena[GMODEL_UP_(_ARENA_SIZE) + 1] M0NN_ALIGN4;
    int8_t out[GMODEL_UP_(_OUTPUT_SIZE)];
    m0nn_graph_t small = GMODEL_(_graph);
    small.arena_size = GMODEL_UP_(_ARENA_SIZE) - 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_graph_run(&small, GMODEL_(_test_inputs)[0], out, arena));
}

static void M0NN_GCAT(run_tests_, M0NN_TEST_MODEL)(void)
{
    GRUN_TEST_(_operators_equal_the_reference);
    GRUN_TEST_(_every_output_equals_the_reference);
    GRUN_TEST_(_arena_is_enough_and_respected);
    GRUN_TEST_(_arena_one_byte_short_is_rejected);
}

#ifndef M0NN_TEST_NO_MAIN
int main(void)
{
    M0NN_GCAT(run_tests_, M0NN_TEST_MODEL)();
    return m0nn_unit_end();
}
#endif
