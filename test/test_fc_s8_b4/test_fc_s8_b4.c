/* m0nn_fc_s8_b4 (packed 4-bit weights) against golden vectors from the Python
 * integer reference (golden_fc_s8_b4.h, written by `m0nn golden`): every
 * output must be equal, and no kernel may write past out_size. */
#include "golden_fc_s8_b4.h"
#include "m0nn.h"
#include "m0nn_unit.h"

#define MAX_OUT 64

static void check_b4_kernel(int32_t index)
{
    const golden_fc_b4_case_t *c = &golden_fc_b4_cases[index];
    const m0nn_fc_fn_t kernels[3] = {m0nn_fc_s8_b4_q31, m0nn_fc_s8_b4, m0nn_fc_s8_b4_shift};
    int8_t out[MAX_OUT + 1];
    M0NN_ASSERT_EQ_INT(1, c->params.out_size <= MAX_OUT);
    out[c->params.out_size] = 0x5a;
    M0NN_ASSERT_EQ_INT(M0NN_OK, kernels[c->params.requant](&c->params, (const int8_t *)c->input_u8, out));
    M0NN_ASSERT_EQ_S8(c->expected, out, c->params.out_size);
    M0NN_ASSERT_EQ_INT(0x5a, out[c->params.out_size]);
}

static void test_b4_kernels_reject_other_requant_offset_and_misalignment(void)
{
    const m0nn_fc_fn_t kernels[3] = {m0nn_fc_s8_b4_q31, m0nn_fc_s8_b4, m0nn_fc_s8_b4_shift};
    m0nn_fc_s8_params_t p = golden_fc_b4_cases[0].params;
    const int8_t *x = (const int8_t *)golden_fc_b4_cases[0].input_u8;
    int8_t out[MAX_OUT];
    int32_t k;
    for (k = 0; k < 3; ++k) {
        if (k != p.requant) {
            M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernels[k](&p, x, out));
        }
    }
    p.input_offset = 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, kernels[p.requant](&p, x, out));
    p.input_offset = 0;
    p.weights = (const uint8_t *)p.weights + 2; /* the assembly reads weights by word */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_ALIGN, kernels[p.requant](&p, x, out));
}

int main(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_FC_B4_N_CASES; ++i) {
        m0nn_unit_run_case(check_b4_kernel, i, __FILE__, __LINE__, golden_fc_b4_cases[i].name);
    }
    M0NN_RUN_TEST(test_b4_kernels_reject_other_requant_offset_and_misalignment);
    return m0nn_unit_end();
}
