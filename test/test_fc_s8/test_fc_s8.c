/* m0nn_fc_s8 and m0nn_fc_s8_b8 against golden vectors from the Python integer
 * reference (golden_fc_s8.h, written by `m0nn golden`): every output must be
 * equal, for both kernels (the blocked ones read the offset-binary input),
 * and neither may write past out_size. */
#include "golden_fc_s8.h"
#include "m0nn.h"
#include "m0nn_unit.h"

#define MAX_OUT 64

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
    M0NN_RUN_TEST(test_blocked_kernels_reject_input_offset_and_other_requant);
    return m0nn_unit_end();
}
