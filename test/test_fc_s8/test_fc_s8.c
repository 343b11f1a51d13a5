/* m0nn_fc_s8 against golden vectors from the Python integer reference
 * (golden_fc_s8.h, written by `m0nn golden`): every output must be equal. */
#include "golden_fc_s8.h"
#include "m0nn.h"
#include "m0nn_unit.h"

#define MAX_OUT 64

static void check_case(int32_t index)
{
    const golden_fc_case_t *c = &golden_fc_cases[index];
    int8_t out[MAX_OUT + 1];
    M0NN_ASSERT_EQ_INT(1, c->params.out_size <= MAX_OUT);
    out[c->params.out_size] = 0x5a; /* the kernel must not write past out_size */
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&c->params, c->input, out));
    M0NN_ASSERT_EQ_S8(c->expected, out, c->params.out_size);
    M0NN_ASSERT_EQ_INT(0x5a, out[c->params.out_size]);
}

int main(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_FC_N_CASES; ++i) {
        m0nn_unit_run_case(check_case, i, __FILE__, __LINE__, golden_fc_cases[i].name);
    }
    return m0nn_unit_end();
}
