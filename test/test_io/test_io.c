/* Raw sensor integers to int8 model input (m0nn_quantize_s16/_s32) and int8
 * outputs to Q16.16 real values (m0nn_dequantize_q16): golden vectors from the
 * Python reference (m0nn.quant, written by `m0nn golden`), compared exactly, and
 * hand-written cases for ties and argument checks. */
#include "golden_io.h"
#include "m0nn.h"
#include "m0nn_unit.h"

#define MAX_VALUES 64

static void test_quantize_s32_golden(int32_t index)
{
    const golden_quantize_case_t *c = &golden_quantize_cases[index];
    int8_t out[MAX_VALUES];
    M0NN_ASSERT_EQ_INT(1, c->n <= MAX_VALUES);
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_quantize_s32(&c->params, c->raw, out, c->n));
    M0NN_ASSERT_EQ_S8(c->expected, out, c->n);
}

static void test_quantize_s16_golden(int32_t index)
{
    const golden_quantize_case_t *c = &golden_quantize_cases[index];
    int8_t out[MAX_VALUES];
    M0NN_ASSERT_EQ_INT(1, c->n16 <= MAX_VALUES);
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_quantize_s16(&c->params, c->raw16, out, c->n16));
    M0NN_ASSERT_EQ_S8(c->expected16, out, c->n16);
}

static void test_dequantize_q16_golden(int32_t index)
{
    const golden_dequantize_case_t *c = &golden_dequantize_cases[index];
    int8_t q[256];
    int32_t out[256];
    int32_t i;
    for (i = 0; i < 256; ++i) {
        q[i] = (int8_t)(i - 128);
    }
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_dequantize_q16(&c->params, q, out, 256));
    for (i = 0; i < 256; ++i) {
        if (out[i] != c->expected[i]) {
            m0nn_unit_print("q = ");
            m0nn_unit_print_int(i - 128);
            m0nn_unit_print(": ");
        }
        M0NN_ASSERT_EQ_INT(c->expected[i], out[i]);
    }
}

/* raw / 4 (exact multiplier): halves round to the even neighbour, both signs. */
static const m0nn_quantize_params_t quarter = {-510, 507, 0, 0, 2097152, -23, 0, -128, 127};

static void test_ties_round_to_even(void)
{
    const int16_t raw[8] = {-10, -6, -2, 2, 6, 10, 3, -3};
    const int8_t want[8] = {-2, -2, 0, 0, 2, 2, 1, -1};
    int8_t out[8];
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_quantize_s16(&quarter, raw, out, 8));
    M0NN_ASSERT_EQ_S8(want, out, 8);
}

static void test_saturates_at_both_ends(void)
{
    const int32_t raw[6] = {INT32_MIN, -511, -510, 507, 508, INT32_MAX};
    const int8_t want[6] = {-128, -128, -128, 127, 127, 127};
    int8_t out[6];
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_quantize_s32(&quarter, raw, out, 6));
    M0NN_ASSERT_EQ_S8(want, out, 6);
}

static void test_argument_errors_leave_output_untouched(void)
{
    const int32_t raw[2] = {1, 2};
    const int8_t untouched[2] = {55, 55};
    int8_t out[2] = {55, 55};
    int32_t q16[1] = {55};
    const int8_t q[1] = {0};
    const m0nn_dequantize_params_t dq = {0, 8388608, -8};
    m0nn_quantize_params_t p = quarter;
    m0nn_dequantize_params_t bad_dq = dq;

    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_quantize_s32(0, raw, out, 2));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_quantize_s32(&p, 0, out, 2));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_quantize_s16(&p, 0, out, 2));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_quantize_s32(&p, raw, out, 0));
    p.shift = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_quantize_s32(&p, raw, out, 2));
    p = quarter;
    p.pre_shift = 32;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_quantize_s32(&p, raw, out, 2));
    p = quarter;
    p.multiplier = -1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_quantize_s32(&p, raw, out, 2));
    p = quarter;
    p.raw_min = 600;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_quantize_s32(&p, raw, out, 2));
    p = quarter;
    p.zero_point = 128;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_quantize_s32(&p, raw, out, 2));
    p = quarter;
    p.q_min = 1;
    p.q_max = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_quantize_s32(&p, raw, out, 2));
    M0NN_ASSERT_EQ_S8(untouched, out, 2);

    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_dequantize_q16(&dq, q, 0, 1));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_dequantize_q16(&dq, q, q16, 0));
    bad_dq.shift = -32;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_dequantize_q16(&bad_dq, q, q16, 1));
    bad_dq = dq;
    bad_dq.zero_point = -129;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_dequantize_q16(&bad_dq, q, q16, 1));
    M0NN_ASSERT_EQ_INT(55, q16[0]);
}

int main(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_QUANTIZE_N_CASES; ++i) {
        m0nn_unit_run_case(test_quantize_s32_golden, i, __FILE__, __LINE__, golden_quantize_cases[i].name_s32);
        m0nn_unit_run_case(test_quantize_s16_golden, i, __FILE__, __LINE__, golden_quantize_cases[i].name_s16);
    }
    for (i = 0; i < GOLDEN_DEQUANTIZE_N_CASES; ++i) {
        m0nn_unit_run_case(test_dequantize_q16_golden, i, __FILE__, __LINE__, golden_dequantize_cases[i].name);
    }
    M0NN_RUN_TEST(test_ties_round_to_even);
    M0NN_RUN_TEST(test_saturates_at_both_ends);
    M0NN_RUN_TEST(test_argument_errors_leave_output_untouched);
    return m0nn_unit_end();
}
