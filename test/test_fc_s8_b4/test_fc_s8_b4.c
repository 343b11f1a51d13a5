/* m0nn_fc_s8_b4 (packed 4-bit weights) against golden vectors from the Python
 * integer reference (golden_fc_s8_b4.h, written by `m0nn golden`): every
 * output must be equal, and no kernel may write past out_size. */
#include "golden_fc_s8_b4.h"
#include "m0nn.h"
#include "m0nn_internal.h" /* M0NN_Q31_SPLIT_ACC_MAX */
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

/* Whether a Q31 case lies in the split kernel's domain: every shift a right
 * shift and every accumulator (folded bias plus u (w - z), the nibbles' w + 8
 * unpacked) within M0NN_Q31_SPLIT_ACC_MAX. */
static int32_t in_split_domain(const m0nn_fc_s8_params_t *p, const uint8_t *u)
{
    const uint8_t *packed = (const uint8_t *)p->weights;
    int32_t o;
    int32_t i;
    for (o = 0; o < p->out_size; ++o) {
        const int32_t q = p->per_channel ? o : 0;
        const int32_t z = p->weight_zero_point != NULL ? p->weight_zero_point[q] : 0;
        const int32_t bit = 4 * (o % 8);
        int32_t acc = p->bias != NULL ? p->bias[o] : 0;
        for (i = 0; i < p->in_size; ++i) {
            const uint8_t *word = packed + 4 * ((o / 8) * p->in_size + i);
            const int32_t v = (int32_t)((word[bit / 8] >> (bit % 8)) & 15u);
            acc += (int32_t)u[i] * (v - 8 - z);
        }
        if (p->shift[q] > -1 || acc > M0NN_Q31_SPLIT_ACC_MAX || acc < -M0NN_Q31_SPLIT_ACC_MAX) {
            return 0;
        }
    }
    return 1;
}

/* The Q31 split kernel on every Q31 case in its domain: the same outputs. */
static int32_t split_cases_run;

static void check_b4_split_kernel(int32_t index)
{
    const golden_fc_b4_case_t *c = &golden_fc_b4_cases[index];
    int8_t out[MAX_OUT + 1];
    if (c->params.requant != M0NN_REQUANT_Q31 || !in_split_domain(&c->params, c->input_u8)) {
        return;
    }
    ++split_cases_run;
    out[c->params.out_size] = 0x5a;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8_b4_q31_split(&c->params, (const int8_t *)c->input_u8, out));
    M0NN_ASSERT_EQ_S8(c->expected, out, c->params.out_size);
    M0NN_ASSERT_EQ_INT(0x5a, out[c->params.out_size]);
}

static void test_b4_split_kernel_ran_on_enough_cases(void)
{
    M0NN_ASSERT_EQ_INT(1, split_cases_run >= 5);
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
    for (i = 0; i < GOLDEN_FC_B4_N_CASES; ++i) {
        m0nn_unit_run_case(check_b4_split_kernel, i, __FILE__, __LINE__, golden_fc_b4_cases[i].name);
    }
    M0NN_RUN_TEST(test_b4_split_kernel_ran_on_enough_cases);
    M0NN_RUN_TEST(test_b4_kernels_reject_other_requant_offset_and_misalignment);
    return m0nn_unit_end();
}
