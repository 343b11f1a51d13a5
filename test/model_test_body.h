/* The end-to-end test of one generated model, shared by every test_model_<name>
 * suite: define M0NN_TEST_MODEL (the model's C name) and M0NN_TEST_MODEL_UP
 * (its upper-case prefix), include the model's two headers, then this file.
 * It defines run_tests_<name>() and, unless M0NN_TEST_NO_MAIN is defined, main();
 * with M0NN_TEST_NO_MAIN it can be included once per model (m0nn_models_test.h).
 * A test header with raw sensor vectors (<NAME>_TEST_RAW, custom_m0nn_input_scale)
 * adds the raw-input and Q16.16-output cases.
 *
 * Checks, against the Python integer reference: the first vectors layer by
 * layer (a mismatch names the first layer that differs), then every vector's
 * output exactly; the arena is exactly large enough and nothing around it is
 * touched. */
#include "m0nn.h"
#include "m0nn_unit.h"

#ifndef M0NN_MODEL_TEST_BODY_ONCE
#define M0NN_MODEL_TEST_BODY_ONCE

#define M0NN_CAT2(a, b) a##b
#define M0NN_CAT(a, b) M0NN_CAT2(a, b)
#define M0NN_STR2(a) #a
#define M0NN_STR(a) M0NN_STR2(a)
#define MODEL_(suffix) M0NN_CAT(M0NN_TEST_MODEL, suffix)
#define MODEL_UP_(suffix) M0NN_CAT(M0NN_TEST_MODEL_UP, suffix)
/* test_<name><suffix>: each model's cases have their own names. */
#define TEST_(suffix) M0NN_CAT(M0NN_CAT(test_, M0NN_TEST_MODEL), suffix)
#define RUN_TEST_(suffix) m0nn_unit_run(TEST_(suffix), __FILE__, __LINE__, M0NN_STR(TEST_(suffix)))

#define GUARD 8

typedef struct {
    int32_t vector;
    int32_t offset;
    int32_t first_bad_layer;
    int32_t first_bad_index;
} trace_check_t;

#endif /* M0NN_MODEL_TEST_BODY_ONCE */

/* Per model: it reads this model's layers and trace (a second model in the same
 * program must not be compared with the first one's). */
static void TEST_(_compare_layer)(void *ctx, int32_t layer, const int8_t *output, int32_t size)
{
    trace_check_t *t = (trace_check_t *)ctx;
    /* A layer feeding a blocked one stores offset-binary bytes (q + 128). */
    const uint8_t flip = layer + 1 < MODEL_(_model).n_layers && MODEL_(_model).layers[layer + 1].input_u8 ? 0x80 : 0;
    int32_t i;
    for (i = 0; i < size && t->first_bad_layer < 0; ++i) {
        if ((int8_t)(uint8_t)((uint8_t)output[i] ^ flip) != MODEL_(_test_trace)[t->vector][t->offset + i]) {
            t->first_bad_layer = layer;
            t->first_bad_index = i;
        }
    }
    t->offset += size;
}

static void TEST_(_layers_equal_the_reference)(void)
{
    static int8_t arena[MODEL_UP_(_ARENA_SIZE) + 1] M0NN_ALIGN4;
    int8_t out[MODEL_UP_(_OUTPUT_SIZE)];
    int32_t n;
    for (n = 0; n < MODEL_UP_(_TRACE_N); ++n) {
        trace_check_t t = {0, 0, -1, -1};
        t.vector = n;
        M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run_observed(&MODEL_(_model), MODEL_(_test_inputs)[n], out, arena,
                                                            TEST_(_compare_layer), &t));
        if (t.first_bad_layer >= 0) {
            m0nn_unit_eq_int(-1, t.first_bad_layer, __LINE__, "first layer that differs from the reference");
            m0nn_unit_print("  (test vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(", output index ");
            m0nn_unit_print_int(t.first_bad_index);
            m0nn_unit_print(")\n");
            return;
        }
    }
}

static void TEST_(_every_output_equals_the_reference)(void)
{
    static int8_t arena[MODEL_UP_(_ARENA_SIZE) + 1] M0NN_ALIGN4;
    int8_t out[MODEL_UP_(_OUTPUT_SIZE)];
    int32_t n;
    for (n = 0; n < MODEL_UP_(_N_TESTS); ++n) {
        M0NN_ASSERT_EQ_INT(M0NN_OK, MODEL_(_run)(MODEL_(_test_inputs)[n], out, arena));
        if (!m0nn_unit_eq_s8(MODEL_(_test_expected)[n], out, MODEL_UP_(_OUTPUT_SIZE), __LINE__, "output")) {
            m0nn_unit_print("  (test vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(")\n");
            return;
        }
    }
}

static void TEST_(_arena_is_enough_and_respected)(void)
{
    /* Twice: at a word-aligned arena and one byte off (the input conversion
     * then works byte by byte). */
    static int8_t buf[GUARD + MODEL_UP_(_ARENA_SIZE) + GUARD + 1] M0NN_ALIGN4;
    int8_t out[MODEL_UP_(_OUTPUT_SIZE)];
    int32_t shift;
    int32_t i;
    for (shift = 0; shift < 2; ++shift) {
        int8_t *const arena = buf + GUARD + shift;
        for (i = 0; i < (int32_t)sizeof buf; ++i) {
            buf[i] = 0x3c;
        }
        M0NN_ASSERT_EQ_INT(M0NN_OK, MODEL_(_run)(MODEL_(_test_inputs)[0], out, arena));
        M0NN_ASSERT_EQ_S8(MODEL_(_test_expected)[0], out, MODEL_UP_(_OUTPUT_SIZE));
        for (i = 0; i < GUARD; ++i) {
            M0NN_ASSERT_EQ_INT(0x3c, arena[i - GUARD]);
            M0NN_ASSERT_EQ_INT(0x3c, arena[MODEL_UP_(_ARENA_SIZE) + i]);
        }
    }
}

static void TEST_(_arena_one_byte_short_is_rejected)(void)
{
    static int8_t arena[MODEL_UP_(_ARENA_SIZE) + 1] M0NN_ALIGN4;
    int8_t out[MODEL_UP_(_OUTPUT_SIZE)];
    m0nn_model_t small = MODEL_(_model);
    small.arena_size = MODEL_UP_(_ARENA_SIZE) - 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_model_run(&small, MODEL_(_test_inputs)[0], out, arena));
#if MODEL_UP_(_ARENA_SIZE) == 0
    /* A model that needs no arena (one layer reading int8) runs without one. */
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run(&MODEL_(_model), MODEL_(_test_inputs)[0], out, NULL));
    M0NN_ASSERT_EQ_S8(MODEL_(_test_expected)[0], out, MODEL_UP_(_OUTPUT_SIZE));
#endif
}

/* <NAME>_TEST_RAW is 1 when defined; an undefined name counts 0 in #if. */
#if MODEL_UP_(_TEST_RAW)
/* Raw sensor integers through the header's conversion give exactly the int8
 * inputs the host quantized from floats (custom_m0nn_input_scale). */
static void TEST_(_raw_input_equals_the_quantized_input)(void)
{
    int8_t in[MODEL_UP_(_INPUT_SIZE)];
    int32_t n;
    for (n = 0; n < MODEL_UP_(_N_TESTS); ++n) {
        M0NN_ASSERT_EQ_INT(M0NN_OK, MODEL_(_input_from_s32)(MODEL_(_test_raw)[n], in));
        if (!m0nn_unit_eq_s8(MODEL_(_test_inputs)[n], in, MODEL_UP_(_INPUT_SIZE), __LINE__, "input")) {
            m0nn_unit_print("  (test vector ");
            m0nn_unit_print_int(n);
            m0nn_unit_print(")\n");
            return;
        }
    }
}

static void TEST_(_output_q16_equals_the_reference)(void)
{
    int32_t q16[MODEL_UP_(_OUTPUT_SIZE)];
    int32_t n;
    int32_t i;
    for (n = 0; n < MODEL_UP_(_TRACE_N); ++n) {
        M0NN_ASSERT_EQ_INT(M0NN_OK, MODEL_(_output_to_q16)(MODEL_(_test_expected)[n], q16));
        for (i = 0; i < MODEL_UP_(_OUTPUT_SIZE); ++i) {
            M0NN_ASSERT_EQ_INT(MODEL_(_test_output_q16)[n][i], q16[i]);
        }
    }
}
#endif

static void M0NN_CAT(run_tests_, M0NN_TEST_MODEL)(void)
{
    RUN_TEST_(_layers_equal_the_reference);
    RUN_TEST_(_every_output_equals_the_reference);
    RUN_TEST_(_arena_is_enough_and_respected);
    RUN_TEST_(_arena_one_byte_short_is_rejected);
#if MODEL_UP_(_TEST_RAW)
    RUN_TEST_(_raw_input_equals_the_quantized_input);
    RUN_TEST_(_output_q16_equals_the_reference);
#endif
}

#ifndef M0NN_TEST_NO_MAIN
int main(void)
{
    M0NN_CAT(run_tests_, M0NN_TEST_MODEL)();
    return m0nn_unit_end();
}
#endif
