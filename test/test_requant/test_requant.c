/* The Q31 split path (m0nn_requantize_q31_split) against TFLite's arithmetic:
 * golden vectors from m0nn.quant.requantize_q31 (golden_requant.h, written by
 * `m0nn golden`: the bound's edges, every shift, ties of both steps), then a
 * pseudo-random sweep of the whole domain against the 64-bit helper
 * m0nn_requantize_q31, the same through m0nn_q31_split_store (the kernels' path,
 * ARMv6-M assembly on the M0), and the split kernels' refusal of left shifts. */
#include <stddef.h>

#include "golden_requant.h"
#include "m0nn.h"
#include "m0nn_internal.h"
#include "m0nn_unit.h"

#define SWEEP 20000

static void print_vector(const char *what, int32_t i, int32_t acc, int32_t m, int32_t s)
{
    m0nn_unit_print(what);
    m0nn_unit_print_int(i);
    m0nn_unit_print(": acc ");
    m0nn_unit_print_int(acc);
    m0nn_unit_print(", M ");
    m0nn_unit_print_int(m);
    m0nn_unit_print(", shift ");
    m0nn_unit_print_int(s);
    m0nn_unit_print("\n");
}

static void test_split_equals_requantize_q31_on_golden_vectors(void)
{
    int32_t i;
    for (i = 0; i < GOLDEN_REQUANT_N; ++i) {
        const int32_t acc = golden_requant_acc[i];
        const int32_t m = golden_requant_multiplier[i];
        const int32_t s = golden_requant_shift[i];
        const int32_t want = golden_requant_expected[i];
        if (m0nn_requantize_q31_split(acc, &m, s, 0) != want || m0nn_requantize_q31(acc, m, s) != want) {
            print_vector("golden vector ", i, acc, m, s);
        }
        M0NN_ASSERT_EQ_INT(want, m0nn_requantize_q31_split(acc, &m, s, 0));
        M0NN_ASSERT_EQ_INT(want, m0nn_requantize_q31(acc, m, s));
    }
}

/* xorshift32: a fixed sequence on every target. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static void test_split_equals_the_64_bit_helper_on_a_sweep(void)
{
    uint32_t state = 20261201u;
    int32_t i;
    for (i = 0; i < SWEEP; ++i) {
        const uint32_t a = next_random(&state);
        const uint32_t bits = next_random(&state);
        /* |acc| <= 2^30 - 1, one in four below 2^17; M in [0, 2^31); shift in [-31, -1]
         * (no division: the M0 has no divider) */
        const int32_t mag = (int32_t)((a >> 2) & ((a & 6u) == 0u ? 0x1FFFFu : 0x3FFFFFFFu));
        const int32_t acc = (a & 1u) ? -mag : mag;
        const int32_t m = (int32_t)(bits >> 1);
        const uint32_t k = next_random(&state) >> 27;
        const int32_t s = -1 - (int32_t)(k == 31u ? 30u : k);
        if (m0nn_requantize_q31_split(acc, &m, s, 0) != m0nn_requantize_q31(acc, m, s)) {
            print_vector("sweep ", i, acc, m, s);
        }
        M0NN_ASSERT_EQ_INT(m0nn_requantize_q31(acc, m, s), m0nn_requantize_q31_split(acc, &m, s, 0));
    }
}

/* The split helper adds the output offset with its last carry: y + offset on
 * every golden vector for the output offset's ends and +-2^30 (the documented
 * range), and on a sweep over [-128, 255]. */
static void test_split_adds_the_offset(void)
{
    static const int32_t offsets[6] = {-128, -1, 1, 255, 1073741824, -1073741824};
    uint32_t state = 977u;
    int32_t i;
    int32_t j;
    for (i = 0; i < GOLDEN_REQUANT_N; ++i) {
        const int32_t acc = golden_requant_acc[i];
        const int32_t m = golden_requant_multiplier[i];
        const int32_t s = golden_requant_shift[i];
        for (j = 0; j < 6; ++j) {
            const int32_t want = golden_requant_expected[i] + offsets[j];
            if (m0nn_requantize_q31_split(acc, &m, s, offsets[j]) != want) {
                print_vector("golden vector with an offset ", i, acc, m, s);
            }
            M0NN_ASSERT_EQ_INT(want, m0nn_requantize_q31_split(acc, &m, s, offsets[j]));
        }
    }
    for (i = 0; i < SWEEP / 4; ++i) {
        const uint32_t a = next_random(&state);
        const int32_t mag = (int32_t)((a >> 2) & 0x3FFFFFFFu);
        const int32_t acc = (a & 1u) ? -mag : mag;
        const int32_t m = (int32_t)(next_random(&state) >> 1);
        const uint32_t k = next_random(&state) >> 27;
        const int32_t s = -1 - (int32_t)(k == 31u ? 30u : k);
        const int32_t offset = (int32_t)(next_random(&state) & 0xFFu) - ((a & 2u) ? 0 : 128);
        const int32_t want = m0nn_requantize_q31(acc, m, s) + offset;
        if (m0nn_requantize_q31_split(acc, &m, s, offset) != want) {
            print_vector("offset sweep ", i, acc, m, s);
        }
        M0NN_ASSERT_EQ_INT(want, m0nn_requantize_q31_split(acc, &m, s, offset));
    }
}

/* m0nn_q31_split_store (the kernels' path: ARMv6-M assembly on the M0) on one
 * vector: with output_offset d - want and the clamp [-128, 127], the stored
 * byte is d exactly when y == want, for d inside the clamp. */
static int32_t store_one(int32_t acc, int32_t m, int32_t s, int32_t want, int32_t d)
{
    int8_t out[1] = {0};
    m0nn_q31_split_job_t job;
    job.multiplier = &m;
    job.shift = &s;
    job.step = 0;
    job.output_offset = d - want;
    job.act_min = -128;
    job.act_max = 127;
    m0nn_q31_split_store(&acc, 1, &job, out);
    return out[0];
}

static void test_store_equals_requantize_q31_on_golden_vectors_and_a_sweep(void)
{
    uint32_t state = 4242u;
    int32_t i;
    for (i = 0; i < GOLDEN_REQUANT_N; ++i) {
        const int32_t acc = golden_requant_acc[i];
        const int32_t m = golden_requant_multiplier[i];
        const int32_t s = golden_requant_shift[i];
        const int32_t d = (i & 127) - 64;
        if (store_one(acc, m, s, golden_requant_expected[i], d) != d) {
            print_vector("store, golden vector ", i, acc, m, s);
        }
        M0NN_ASSERT_EQ_INT(d, store_one(acc, m, s, golden_requant_expected[i], d));
    }
    for (i = 0; i < SWEEP; ++i) {
        const uint32_t a = next_random(&state);
        const int32_t mag = (int32_t)((a >> 2) & ((a & 6u) == 0u ? 0x1FFFFu : 0x3FFFFFFFu));
        const int32_t acc = (a & 1u) ? -mag : mag;
        const int32_t m = (int32_t)(next_random(&state) >> 1);
        const uint32_t k = next_random(&state) >> 27;
        const int32_t s = -1 - (int32_t)(k == 31u ? 30u : k);
        const int32_t d = (i & 127) - 64;
        if (store_one(acc, m, s, m0nn_requantize_q31(acc, m, s), d) != d) {
            print_vector("store, sweep ", i, acc, m, s);
        }
        M0NN_ASSERT_EQ_INT(d, store_one(acc, m, s, m0nn_requantize_q31(acc, m, s), d));
    }
}

/* Blocks of 1-8 rows per channel and per tensor, the clamp at both ends and
 * inside, a ReLU-style [0, 255] and a narrow range: every byte is the clamp of
 * y + output_offset. */
static void test_store_walks_rows_tables_and_the_clamp(void)
{
    static const int32_t lo[3] = {-128, 0, -5};
    static const int32_t hi[3] = {127, 255, 9};
    uint32_t state = 31337u;
    int32_t acc[8];
    int32_t m[8];
    int32_t s[8];
    int32_t rows;
    int32_t c;
    int32_t r;
    for (rows = 1; rows <= 8; ++rows) {
        for (c = 0; c < 6; ++c) {
            const int32_t step = c & 1;
            int8_t out[9];
            m0nn_q31_split_job_t job;
            for (r = 0; r < 8; ++r) {
                const uint32_t a = next_random(&state);
                const uint32_t k = next_random(&state) >> 27;
                acc[r] = (int32_t)((a >> 2) & 0x3FFFFFFFu) * ((a & 1u) ? -1 : 1);
                m[r] = (int32_t)(next_random(&state) >> 1);
                s[r] = -1 - (int32_t)(k == 31u ? 30u : k);
                if ((a & 6u) == 0u) { /* results near the clamp */
                    acc[r] >>= 14;
                    s[r] = -1 - (int32_t)(k & 7u);
                }
            }
            job.multiplier = m;
            job.shift = s;
            job.step = 4 * step;
            job.output_offset = (int32_t)(next_random(&state) & 0xFFu) - 128;
            job.act_min = lo[c / 2];
            job.act_max = hi[c / 2];
            out[rows] = 0x5a;
            m0nn_q31_split_store(acc, rows, &job, out);
            for (r = 0; r < rows; ++r) {
                const int32_t z = m0nn_requantize_q31(acc[r], m[r * step], s[r * step]) + job.output_offset;
                const int32_t want = z < job.act_min ? job.act_min : z > job.act_max ? job.act_max : z;
                M0NN_ASSERT_EQ_INT(want & 0xFF, (uint8_t)out[r]);
            }
            M0NN_ASSERT_EQ_INT(0x5a, out[rows]); /* nothing past the block */
        }
    }
}

/* Each split kernel takes right shifts only: a shift of 0 (legal for Q31) or a
 * negative multiplier is M0NN_ERR_QUANT, the output untouched. */
static void test_split_kernels_refuse_a_left_shift(void)
{
    static const int8_t w[8] M0NN_ALIGN4 = {0};
    static const int32_t m[1] = {1073741824};
    static const int32_t m_negative[1] = {-1};
    static const int32_t shift_zero[1] = {0};
    static const int32_t shift_ok[1] = {-1};
    const m0nn_fc_fn_t kernels[3] = {m0nn_fc_s8_b8_q31_split, m0nn_fc_s8_b8w_q31_split, m0nn_fc_s8_b4_q31_split};
    const int8_t x[1] = {5};
    int8_t out[1];
    int32_t k;
    for (k = 0; k < 3; ++k) {
        m0nn_fc_s8_params_t p = {1, 1, 0, 0, -128, 127, 0, M0NN_REQUANT_Q31, w, NULL, m, shift_zero, NULL};
        out[0] = 0x5a;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernels[k](&p, x, out));
        M0NN_ASSERT_EQ_INT(0x5a, out[0]);
        p.shift = shift_ok;
        p.multiplier = m_negative;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernels[k](&p, x, out));
        p.multiplier = m;
        p.requant = M0NN_REQUANT_MUL32;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, kernels[k](&p, x, out));
        M0NN_ASSERT_EQ_INT(0x5a, out[0]);
        p.requant = M0NN_REQUANT_Q31;
        M0NN_ASSERT_EQ_INT(M0NN_OK, kernels[k](&p, x, out));
    }
}

int main(void)
{
    M0NN_RUN_TEST(test_split_equals_requantize_q31_on_golden_vectors);
    M0NN_RUN_TEST(test_split_equals_the_64_bit_helper_on_a_sweep);
    M0NN_RUN_TEST(test_split_adds_the_offset);
    M0NN_RUN_TEST(test_store_equals_requantize_q31_on_golden_vectors_and_a_sweep);
    M0NN_RUN_TEST(test_store_walks_rows_tables_and_the_clamp);
    M0NN_RUN_TEST(test_split_kernels_refuse_a_left_shift);
    return m0nn_unit_end();
}
