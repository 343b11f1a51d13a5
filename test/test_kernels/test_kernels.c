/* Hand-written cases for the small kernels and for argument checking. The
 * fully connected arithmetic is checked against Python golden vectors in
 * test_fc_s8; these cases pin behaviour that is easiest to state by hand. */
#include <stddef.h>

#include "m0nn.h"
#include "m0nn_internal.h" /* m0nn_sum_u8 */
#include "m0nn_unit.h"

static const int8_t w_identity[4] = {1, 0, 0, 1};
static const int32_t m_half[1] = {1073741824}; /* 0.5 in Q31 */
static const int32_t s_one[1] = {1};           /* 0.5 * 2^1 = 1.0 */
static const int32_t s_zero[1] = {0};

static m0nn_fc_s8_params_t identity_layer(void)
{
    m0nn_fc_s8_params_t p = {2, 2, 0, 0, -128, 127, 0, M0NN_REQUANT_Q31, w_identity, NULL, m_half, s_one, NULL};
    return p;
}

static void test_identity_layer_passes_values_through(void)
{
    const m0nn_fc_s8_params_t p = identity_layer();
    const int8_t x[2] = {-128, 127};
    int8_t y[2] = {0, 0};
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&p, x, y));
    M0NN_ASSERT_EQ_S8(x, y, 2);
}

static void test_high_multiply_rounds_ties_up(void)
{
    /* Step 1 of Q31 requantization: 1.5 -> 2 and -1.5 -> -1 (half up). */
    m0nn_fc_s8_params_t p = identity_layer();
    const int8_t x[2] = {3, -3};
    const int8_t want[2] = {2, -1};
    int8_t y[2];
    p.shift = s_zero;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&p, x, y));
    M0NN_ASSERT_EQ_S8(want, y, 2);
}

static void test_right_shift_rounds_ties_away_from_zero(void)
{
    /* Step 2: multiplier 0.25 as 0.5 * 2^-1; 0.5 -> 1 and -0.5 -> -1. */
    static const int32_t s_minus_one[1] = {-1};
    m0nn_fc_s8_params_t p = identity_layer();
    const int8_t x[2] = {2, -2};
    const int8_t want[2] = {1, -1};
    int8_t y[2];
    p.shift = s_minus_one;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&p, x, y));
    M0NN_ASSERT_EQ_S8(want, y, 2);
}

static void test_reference_kernel_adds_the_bias_last(void)
{
    /* Issue 13, item 3: starting the sum at the bias, the first product takes
     * the partial sum past int32 (row 0 below 2^-31, row 1 above 2^31 - 1)
     * although each final accumulator fits: -2147483575 and 2147483128.
     * Expected outputs from m0nn.reference.fc_s8_raw (Q31, 2^30 with shift -24,
     * output offset 3); UBSan (native_asan) reports any signed overflow. */
    static const int8_t w[4] = {127, 127, -128, -128};
    static const int32_t bias[2] = {-2147483448, 2147483000};
    static const int32_t m[1] = {1073741824};
    static const int32_t s[1] = {-24};
    const m0nn_fc_s8_params_t p = {2, 2, 0, 3, -128, 127, 0, M0NN_REQUANT_Q31, w, bias, m, s, NULL};
    const int8_t x[2] = {-128, 127};
    const int8_t want[2] = {-61, 67};
    int8_t y[2] = {0, 0};
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&p, x, y));
    M0NN_ASSERT_EQ_S8(want, y, 2);
}

static void test_null_and_size_errors_leave_output_untouched(void)
{
    m0nn_fc_s8_params_t p = identity_layer();
    const int8_t x[2] = {1, 2};
    int8_t y[2] = {55, 55};
    const int8_t untouched[2] = {55, 55};
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_fc_s8(NULL, x, y));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_fc_s8(&p, NULL, y));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_fc_s8(&p, x, NULL));
    p.in_size = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_fc_s8(&p, x, y));
    p = identity_layer();
    p.out_size = 70000;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_fc_s8(&p, x, y));
    M0NN_ASSERT_EQ_S8(untouched, y, 2);
}

static void test_offset_and_quant_errors(void)
{
    static const int32_t s_bad_high[1] = {31};
    static const int32_t s_bad_low[1] = {-32};
    static const int32_t m_negative[1] = {-1};
    m0nn_fc_s8_params_t p = identity_layer();
    const int8_t x[2] = {1, 2};
    int8_t y[2];
    p.input_offset = 129;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8(&p, x, y));
    p = identity_layer();
    p.act_min = 10;
    p.act_max = 9;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_fc_s8(&p, x, y));
    p = identity_layer();
    p.shift = s_bad_high;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y));
    p.shift = s_bad_low;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y));
    p = identity_layer();
    p.multiplier = m_negative;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y));
    p = identity_layer();
    p.requant = 7;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y));
    p = identity_layer();
    p.requant = M0NN_REQUANT_MUL32;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y)); /* MUL32 forbids a left shift */
    p.shift = s_zero;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y)); /* ... and needs a right shift */
}

/* Per-channel MUL32 tables: every shift in [-31, -1] and every multiplier >= 0,
 * checked 4 channels at a time on ARMv6-M: a bad value in the 4-wide part
 * (channel 2) and in the rest (channel 8) of 9 channels is caught. */
static void test_mul32_per_channel_tables(void)
{
    static const int8_t w[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const int32_t bad_shifts[5] = {-32, 0, 1, (int32_t)0x80000000u, 0x7fffffff};
    const int32_t at[2] = {2, 8};
    int32_t m[9];
    int32_t s[9];
    m0nn_fc_s8_params_t p = identity_layer();
    const int8_t x[1] = {3};
    int8_t y[9];
    int32_t i;
    int32_t k;
    int32_t b;
    p.in_size = 1;
    p.out_size = 9;
    p.weights = w;
    p.per_channel = 1;
    p.requant = M0NN_REQUANT_MUL32;
    p.multiplier = m;
    p.shift = s;
    for (i = 0; i < 9; ++i) {
        m[i] = 1 << 20;
        s[i] = i == 0 ? -31 : -1 - i; /* both ends of the range */
    }
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&p, x, y));
    for (k = 0; k < 2; ++k) {
        for (b = 0; b < 5; ++b) {
            const int32_t saved = s[at[k]];
            s[at[k]] = bad_shifts[b];
            M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y));
            s[at[k]] = saved;
        }
        m[at[k]] = -1;
        M0NN_ASSERT_EQ_INT(M0NN_ERR_QUANT, m0nn_fc_s8(&p, x, y));
        m[at[k]] = 1 << 20;
    }
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_fc_s8(&p, x, y));
}

/* The MUL32 table check itself (internal; assembly on ARMv6-M: 16 channels a
 * pass, then 4, then 1): every length from 1 to 33 with the legal ends -31 and
 * -1 everywhere, then one bad value at every position: a shift just outside the
 * range on either side or at the int32 ends, a negative multiplier. */
static void test_mul32_tables_every_length_and_position(void)
{
    static const int32_t bad_shifts[6] = {-32, 0, 1, 31, (int32_t)0x80000000u, 0x7fffffff};
    static const int32_t bad_multipliers[2] = {-1, (int32_t)0x80000000u};
    int32_t m[34];
    int32_t s[34];
    int32_t n;
    int32_t at;
    int32_t b;
    for (n = 1; n <= 33; ++n) {
        for (at = 0; at < 34; ++at) {
            m[at] = (at & 3) == 1 ? 0x7fffffff : at; /* 0 and the largest are legal */
            s[at] = (at & 1) == 0 ? -31 : -1;
        }
        m[n] = -1; /* past the end: never read */
        s[n] = 0;
        M0NN_ASSERT_EQ_INT(0, (int32_t)m0nn_mul32_tables_bad(s, m, n));
        for (at = 0; at < n; ++at) {
            const int32_t saved_s = s[at];
            const int32_t saved_m = m[at];
            for (b = 0; b < 6; ++b) {
                s[at] = bad_shifts[b];
                M0NN_ASSERT_EQ_INT(1, m0nn_mul32_tables_bad(s, m, n) != 0u);
            }
            s[at] = saved_s;
            for (b = 0; b < 2; ++b) {
                m[at] = bad_multipliers[b];
                M0NN_ASSERT_EQ_INT(1, m0nn_mul32_tables_bad(s, m, n) != 0u);
            }
            m[at] = saved_m;
        }
    }
}

/* The blocked kernels' input sum (internal): every length from 0 to 40 at
 * every alignment (the word path, its tail, the byte path), and 1,100 bytes of
 * 255 (the 16-bit lanes fold every 512 bytes, before they overflow). */
static void test_sum_u8(void)
{
    static uint8_t buf[1104] M0NN_ALIGN4;
    uint32_t want;
    int32_t offset;
    int32_t n;
    int32_t i;
    for (i = 0; i < (int32_t)sizeof buf; ++i) {
        buf[i] = (uint8_t)(i * 37 + 11);
    }
    for (offset = 0; offset < 4; ++offset) {
        for (n = 0; n <= 40; ++n) {
            want = 0;
            for (i = 0; i < n; ++i) {
                want += buf[offset + i];
            }
            M0NN_ASSERT_EQ_INT((int32_t)want, (int32_t)m0nn_sum_u8(buf + offset, n));
        }
    }
    for (i = 0; i < (int32_t)sizeof buf; ++i) {
        buf[i] = 255;
    }
    M0NN_ASSERT_EQ_INT(255 * 1100, (int32_t)m0nn_sum_u8(buf, 1100));
    M0NN_ASSERT_EQ_INT(255 * 1101, (int32_t)m0nn_sum_u8(buf + 1, 1101));
}

/* The blocked kernels with a NULL bias (the generator always folds one, so the
 * golden vectors never pass NULL): full blocks, a last block of 4 rows and one
 * of 5, per channel, both layouts, against a loop over the blocked bytes. */
static uint8_t blocked_bytes[2 * 8 * 7 * 3] M0NN_ALIGN4;

static int8_t blocked_reference(const uint8_t *u, int32_t n, int32_t out_size, int32_t o, int32_t wide, int32_t bias,
                                int32_t m, int32_t right)
{
    int32_t base = 0;
    int32_t b;
    int32_t i;
    int32_t acc = bias;
    int32_t y;
    for (b = 0; b < o >> 3; ++b) {
        base += M0NN_B8_STRIDE(M0NN_B8_ROWS(out_size, 8 * b)) * n * (wide ? 2 : 1);
    }
    for (i = 0; i < n; ++i) {
        const int32_t width = M0NN_B8_STRIDE(M0NN_B8_ROWS(out_size, o & ~7));
        const int32_t r = o & 7;
        const uint8_t v =
            wide ? blocked_bytes[base + 2 * (i * width + M0NN_B8W_LANE(r))] : blocked_bytes[base + i * width + r];
        acc += (int32_t)u[i] * ((int32_t)v - 128);
    }
    y = m0nn_requantize_mul32(acc, m, right) - 5;
    return (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
}

static void test_blocked_kernels_without_bias(void)
{
    static const uint8_t u[7] = {0, 255, 17, 128, 200, 3, 99};
    int32_t mult[20];
    int32_t shift[20];
    int8_t want[20];
    int8_t got[20];
    const int32_t sizes[6] = {20, 13, 4, 20, 13, 4};
    int32_t k;
    int32_t i;
    for (i = 0; i < (int32_t)sizeof blocked_bytes; ++i) {
        blocked_bytes[i] = (uint8_t)(i * 37 + 11);
    }
    /* the same bytes serve both layouts: the wide layout's lanes have a zero high byte */
    for (i = 1; i < (int32_t)sizeof blocked_bytes; i += 2) {
        blocked_bytes[i] = 0;
    }
    for (i = 0; i < 20; ++i) {
        mult[i] = 900 + 50 * i;
        shift[i] = -12 - (i & 3);
    }
    for (k = 0; k < 6; ++k) {
        const int32_t out_size = sizes[k];
        const int32_t wide = k >= 3;
        const m0nn_fc_s8_params_t p = {7,    out_size, 0,     -5,  -128, 127, 1, M0NN_REQUANT_MUL32, blocked_bytes,
                                       NULL, mult,     shift, NULL};
        for (i = 0; i < out_size; ++i) {
            want[i] = blocked_reference(u, 7, out_size, i, wide, 0, mult[i], -shift[i]);
        }
        M0NN_ASSERT_EQ_INT(M0NN_OK, (wide ? m0nn_fc_s8_b8w : m0nn_fc_s8_b8)(&p, (const int8_t *)u, got));
        M0NN_ASSERT_EQ_S8(want, got, out_size);
    }
}

/* With a bias, a last block of exactly 4 rows reads the caller's 4 biases
 * (m0nn_fc_b8_mul32's reads4 path, b8 and b8w) instead of a padded copy: out_size
 * 4 (that block alone), 12 and 20 (after full blocks). Each bias array holds
 * exactly out_size entries (a read past it is an ASan error on native_asan),
 * the rows' biases differ by several output steps (a row fed another's bias is
 * a wrong output; the outputs stay inside the clamp), and the output byte after
 * the last is untouched. */
static int32_t bias4[4];
static int32_t bias12[12];
static int32_t bias20[20];

static void test_blocked_last_four_rows_read_their_own_bias(void)
{
    static const uint8_t u[7] = {0, 255, 17, 128, 200, 3, 99};
    int32_t *const biases[3] = {bias4, bias12, bias20};
    const int32_t sizes[3] = {4, 12, 20};
    int32_t mult[20];
    int32_t shift[20];
    int8_t want[20];
    int8_t got[21];
    int32_t k;
    int32_t i;
    for (i = 0; i < (int32_t)sizeof blocked_bytes; ++i) {
        blocked_bytes[i] = (uint8_t)(i * 29 + 3);
    }
    for (i = 1; i < (int32_t)sizeof blocked_bytes; i += 2) { /* both layouts, as above */
        blocked_bytes[i] = 0;
    }
    for (i = 0; i < 20; ++i) {
        mult[i] = 600 + 37 * i;
        shift[i] = -20 - (i & 1); /* about 1/1000 to 1/2500: the biases move outputs by 1 to 60 */
    }
    for (k = 0; k < 3; ++k) {
        for (i = 0; i < sizes[k]; ++i) {
            biases[k][i] = (((i * 7 + k * 3) & 15) - 8) * 7000; /* no %: the M0 has no divider */
        }
    }
    for (k = 0; k < 6; ++k) {
        const int32_t wide = k >= 3;
        const int32_t *const bias = biases[k - 3 * wide];
        const int32_t out_size = sizes[k - 3 * wide];
        const m0nn_fc_s8_params_t p = {7,    out_size, 0,     -5,  -128, 127, 1, M0NN_REQUANT_MUL32, blocked_bytes,
                                       bias, mult,     shift, NULL};
        for (i = 0; i < out_size; ++i) {
            want[i] = blocked_reference(u, 7, out_size, i, wide, bias[i], mult[i], -shift[i]);
        }
        got[out_size] = 77;
        M0NN_ASSERT_EQ_INT(M0NN_OK, (wide ? m0nn_fc_s8_b8w : m0nn_fc_s8_b8)(&p, (const int8_t *)u, got));
        M0NN_ASSERT_EQ_S8(want, got, out_size);
        M0NN_ASSERT_EQ_INT(77, got[out_size]);
    }
}

static void test_argmax_first_of_ties(void)
{
    const int8_t v[5] = {-3, 7, 2, 7, -128};
    M0NN_ASSERT_EQ_INT(1, m0nn_argmax_s8(v, 5));
    M0NN_ASSERT_EQ_INT(0, m0nn_argmax_s8(v, 1));
    M0NN_ASSERT_EQ_INT(-1, m0nn_argmax_s8(v, 0));
    M0NN_ASSERT_EQ_INT(-1, m0nn_argmax_s8(NULL, 3));
}

static void test_relu_clamps_at_zero_point(void)
{
    const int8_t x[4] = {-128, -6, -5, 127};
    const int8_t want[4] = {-5, -5, -5, 127};
    int8_t y[4];
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_relu_s8(x, y, 4, -5));
    M0NN_ASSERT_EQ_S8(want, y, 4);
    M0NN_ASSERT_EQ_INT(M0NN_ERR_OFFSET, m0nn_relu_s8(x, y, 4, 128));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_relu_s8(x, y, 0, 0));
}

static void count_layers(void *ctx, int32_t layer, const int8_t *output, int32_t size)
{
    (void)output;
    (void)size;
    *(int32_t *)ctx += layer + 1;
}

/* Records where each layer's output went. */
static void record_outputs(void *ctx, int32_t layer, const int8_t *output, int32_t size)
{
    (void)size;
    ((const int8_t **)ctx)[layer] = output;
}

static void test_model_chains_layers_through_arena(void)
{
    m0nn_layer_t layers[3];
    m0nn_model_t model = {3, 8, NULL}; /* two tensors of 2 bytes, each rounded up to a word */
    const int8_t x[2] = {-7, 9};
    int8_t y[2];
    int8_t arena[8] M0NN_ALIGN4;
    const int8_t *where[3] = {NULL, NULL, NULL};
    int32_t seen = 0;
    int32_t l;
    for (l = 0; l < 3; ++l) {
        layers[l].run = m0nn_fc_s8;
        layers[l].input_u8 = 0;
        layers[l].params = identity_layer();
    }
    model.layers = layers;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run_observed(&model, x, y, arena, count_layers, &seen));
    M0NN_ASSERT_EQ_S8(x, y, 2);
    M0NN_ASSERT_EQ_INT(1 + 2 + 3, seen);
    /* the odd layer's output at the end starts on a word: arena + (8 - 2 rounded down to 4) */
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run_observed(&model, x, y, arena, record_outputs, (void *)where));
    M0NN_ASSERT_EQ_INT(0, where[0] - arena);
    M0NN_ASSERT_EQ_INT(4, where[1] - arena);
    M0NN_ASSERT_EQ_INT(1, where[2] == y);
    y[0] = 0;
    y[1] = 0;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run(&model, x, y, arena));
    M0NN_ASSERT_EQ_S8(x, y, 2);
    /* one layer: no arena needed, the layer writes output directly */
    model.n_layers = 1;
    model.arena_size = 0;
    y[0] = 0;
    y[1] = 0;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run(&model, x, y, NULL));
    M0NN_ASSERT_EQ_S8(x, y, 2);
    seen = 0;
    M0NN_ASSERT_EQ_INT(M0NN_OK, m0nn_model_run_observed(&model, x, y, NULL, count_layers, &seen));
    M0NN_ASSERT_EQ_INT(1, seen);
}

static void test_model_rejects_small_arena_and_broken_chain(void)
{
    m0nn_layer_t layers[3];
    m0nn_model_t small = {3, 7, NULL}; /* 2 + 2 bytes, but not 4 + 4 */
    m0nn_model_t model = {3, 8, NULL};
    const int8_t x[2] = {1, 2};
    int8_t y[2];
    int8_t arena[8] M0NN_ALIGN4;
    int32_t seen = 0;
    int32_t l;
    for (l = 0; l < 3; ++l) {
        layers[l].run = m0nn_fc_s8;
        layers[l].input_u8 = 0;
        layers[l].params = identity_layer();
    }
    small.layers = layers;
    model.layers = layers;
    layers[1].run = NULL;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_model_run(&model, x, y, arena));
    layers[1].run = m0nn_fc_s8;
    layers[2].run = NULL; /* the last layer, called out of the runner's loop */
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_model_run(&model, x, y, arena));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_model_run_observed(&model, x, y, arena, count_layers, &seen));
    M0NN_ASSERT_EQ_INT(1 + 2, seen); /* layers 0 and 1 ran, the last did not */
    layers[2].run = m0nn_fc_s8;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_model_run(&small, x, y, arena));
    layers[2].params.in_size = 1;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_model_run(&model, x, y, arena));
    model.n_layers = 0;
    M0NN_ASSERT_EQ_INT(M0NN_ERR_SIZE, m0nn_model_run(&model, x, y, arena));
    M0NN_ASSERT_EQ_INT(M0NN_ERR_NULL, m0nn_model_run(NULL, x, y, arena));
}

int main(void)
{
    M0NN_RUN_TEST(test_identity_layer_passes_values_through);
    M0NN_RUN_TEST(test_high_multiply_rounds_ties_up);
    M0NN_RUN_TEST(test_right_shift_rounds_ties_away_from_zero);
    M0NN_RUN_TEST(test_reference_kernel_adds_the_bias_last);
    M0NN_RUN_TEST(test_null_and_size_errors_leave_output_untouched);
    M0NN_RUN_TEST(test_offset_and_quant_errors);
    M0NN_RUN_TEST(test_mul32_per_channel_tables);
    M0NN_RUN_TEST(test_mul32_tables_every_length_and_position);
    M0NN_RUN_TEST(test_sum_u8);
    M0NN_RUN_TEST(test_blocked_kernels_without_bias);
    M0NN_RUN_TEST(test_blocked_last_four_rows_read_their_own_bias);
    M0NN_RUN_TEST(test_argmax_first_of_ties);
    M0NN_RUN_TEST(test_relu_clamps_at_zero_point);
    M0NN_RUN_TEST(test_model_chains_layers_through_arena);
    M0NN_RUN_TEST(test_model_rejects_small_arena_and_broken_chain);
    return m0nn_unit_end();
}
