/* Private helpers of m0nn: argument checks and the requantization arithmetic. */
#ifndef M0NN_INTERNAL_H
#define M0NN_INTERNAL_H

#include <stdint.h>

#include "m0nn.h"
#include "m0nn_b8p_max_in.h"
#include "m0nn_requant_split.h"

#define M0NN_MAX_SIZE 65535

/* The only 64-bit arithmetic in m0nn: TFLite's MultiplyByQuantizedMultiplier.
 * Ranges (checked by the callers once per layer): m in [0, 2^31 - 1],
 * shift in [-31, 30], acc * 2^max(shift, 0) within int32.
 * Step 1 rounds the Q31 product half up (the +2^30 before an arithmetic shift);
 * for m >= 0 this equals gemmlowp's sign-dependent nudge with truncation, and
 * CMSIS-NN's arm_nn_doubling_high_mult_no_sat. Step 2 rounds half away from zero
 * (gemmlowp's RoundingDivideByPOT). ARMv6-M has no 32x32->64 multiply, so on the
 * M0 the product is a call to __aeabi_lmul. */
static inline int32_t m0nn_requantize_q31(int32_t acc, int32_t m, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int64_t prod = (int64_t)(acc * (1 << left)) * m;
    const int32_t high = (int32_t)((prod + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t remainder = high & mask;
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
}

/* M0NN_REQUANT_MUL32: one 32-bit multiply, round half up; no 64-bit math.
 * right in [1, 31]; the generator guarantees |acc| * m + 2^(right-1) < 2^31. */
static inline int32_t m0nn_requantize_mul32(int32_t acc, int32_t m, int32_t right)
{
    return (acc * m + (int32_t)(1u << (right - 1))) >> right;
}

/* Blocked weights (m0nn.h): blocks of 8 rows, 8 bytes w + 128 per input; a
 * last block of at most 4 rows holds 4 bytes per input. */
#define M0NN_B8_ROWS(out_size, o0) ((out_size) - (o0) < 8 ? (out_size) - (o0) : 8)
#define M0NN_B8_STRIDE(rows) ((rows) <= 4 ? 4 : 8)
/* The wide layout (m0nn_fc_s8_b8w) stores each weight in a 16-bit lane (two
 * bytes) with the rows of a block in this order: words E = rows 0, 2 and O =
 * rows 1, 3 of the ARMv6-M loop, then rows 4-7 likewise. */
#define M0NN_B8W_LANE(r) ((r) == 1 ? 2 : (r) == 2 ? 1 : (r) == 5 ? 6 : (r) == 6 ? 5 : (r))

/* acc[r] = sum_{i < n} w[S i + r] * x[i] for r < S, with S = 8 (m0nn_b8_dot8)
 * or 4 (m0nn_b8_dot4, a last block of at most 4 rows): the dot products of the
 * biased-uint8 weight rows of one block with the offset-binary activations,
 * both unsigned, modulo 2^32. The caller removes the weights' +128 with
 * -128 * sum(x) once per layer. n >= 1; w 4-byte aligned. ARMv6-M assembly in
 * m0nn_b8_dot_armv6m.S; portable C in m0nn_b8_dot.c. */
void m0nn_b8_dot8(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[8]);
void m0nn_b8_dot4(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[4]);
/* The same on the wide layout (16 or 8 bytes per input). */
void m0nn_b8w_dot8(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[8]);
void m0nn_b8w_dot4(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[4]);

/* sum_i x[i] for n >= 0 bytes, modulo 2^32. ARMv6-M assembly in
 * m0nn_sum_u8_armv6m.S (8 bytes per pass where x is word-aligned); portable C
 * in m0nn_sum_u8.c. */
uint32_t m0nn_sum_u8(const uint8_t *x, int32_t n);

/* -128 * sum(x): the correction of every accumulator of a blocked layer. */
static inline int32_t m0nn_b8_correction(const uint8_t *x, int32_t n)
{
    return -128 * (int32_t)m0nn_sum_u8(x, n);
}

/* An output byte: int8 (range within [-128, 127]) or offset-binary uint8
 * (within [0, 255]); both are the low 8 bits of y. */
static inline void m0nn_store_byte(int8_t *out, int32_t y)
{
    *(uint8_t *)out = (uint8_t)((uint32_t)y & 0xFFu);
}

/* M0NN_REQUANT_SHIFT: a power-of-two scale, round half up; the generator
 * guarantees |acc| + 2^(right-1) < 2^31. */
static inline int32_t m0nn_requantize_shift(int32_t acc, int32_t right)
{
    return (acc + (int32_t)((1u << right) >> 1)) >> right;
}

/* clamp(y + offset, lo, hi) without forming y + offset, which can leave int32
 * when y is near an int32 bound (Q31 with M near 2^31 and shift >= 0, SHIFT
 * with shift 0): y is compared with lo - offset and hi - offset, both small
 * (offset, lo and hi are checked to lie in [-128, 255]). The result is the
 * clamp of the exact sum, as the Python reference computes it in int64. */
static inline int32_t m0nn_offset_clamp(int32_t y, int32_t offset, int32_t lo, int32_t hi)
{
    return y < lo - offset ? lo : y > hi - offset ? hi : y + offset;
}

/* clamp(z, lo, hi), for a z that already holds the output offset. */
static inline int32_t m0nn_clamp(int32_t z, int32_t lo, int32_t hi)
{
    return z < lo ? lo : z > hi ? hi : z;
}

/* The walks' `requant` for the Q31 split kernels (m0nn_fc_s8_*_q31_split): the
 * layer's mode is M0NN_REQUANT_Q31, requantized by m0nn_requantize_q31_split. */
#define M0NN_Q31_SPLIT 3

/* Requantizes (Q31 or SHIFT; `requant` is a constant in each caller, so the
 * branch folds away), offsets, clamps and stores `rows` accumulators of one
 * 8-row block; m and s advance by `step` (1 per channel, 0 per tensor; m may be
 * NULL for SHIFT). The parameters are copied to locals: an int8 store may alias
 * anything, so the compiler would otherwise reload them after every output. */
static inline void m0nn_store_block(const m0nn_fc_s8_params_t *p, const int32_t *acc, int32_t rows, const int32_t *m,
                                    const int32_t *s, int32_t step, int8_t *out, int32_t requant)
{
    const int32_t offset = p->output_offset;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    int32_t r;
    for (r = 0; r < rows; ++r) {
        const int32_t y = requant == M0NN_REQUANT_Q31 ? m0nn_requantize_q31(acc[r], m[r * step], s[r * step])
                                                      : m0nn_requantize_shift(acc[r], -s[r * step]);
        m0nn_store_byte(out + r, m0nn_offset_clamp(y, offset, lo, hi));
    }
}

/* The output side of the Q31 split kernels, the same for every block of a layer
 * but the tables' position. */
typedef struct {
    const int32_t *multiplier; /* 0: this block's first; [0, 2^31 - 1] */
    const int32_t *shift;      /* 4: this block's first; [-31, -1] */
    int32_t step;              /* 8: 4 (per channel) or 0 (per tensor), in bytes */
    int32_t output_offset;     /* 12 */
    int32_t act_min;           /* 16 */
    int32_t act_max;           /* 20 */
} m0nn_q31_split_job_t;

/* output[r] = clamp(m0nn_requantize_q31_split(acc[r], M_r, shift_r, output_offset),
 * act_min, act_max) as bytes, for r < rows (>= 1), M_r and shift_r at
 * r * step bytes into the tables; |acc[r]| <= M0NN_Q31_SPLIT_ACC_MAX.
 * ARMv6-M assembly in m0nn_q31_split_store_armv6m.S (44 cycles an output);
 * portable C in m0nn_q31_split_store.c. */
void m0nn_q31_split_store(const int32_t *acc, int32_t rows, const m0nn_q31_split_job_t *job, int8_t *output);

/* The state of m0nn_fc_s8_b8's block loop, updated in place as blocks are done. */
typedef struct {
    const uint8_t *input;      /* 0: in_size offset-binary activations */
    const uint8_t *weights;    /* 4: the next block's weights (advances) */
    int32_t in_size;           /* 8 */
    int32_t correction;        /* 12: -128 * sum(input) */
    const int32_t *bias;       /* 16: the next block's 8 biases (advances by bias_step) */
    const int32_t *multiplier; /* 20: advances by step bytes per output */
    const int32_t *shift;      /* 24: advances by step bytes per output; values in [-31, -1] */
    int32_t step;              /* 28: 4 (per channel) or 0 (per tensor), in bytes */
    int8_t *output;            /* 32: advances by rows per block */
    int32_t n_blocks;          /* 36: blocks to do (>= 1; counted down by the C loops, left by the assembly) */
    int32_t offset_minus_min;  /* 40: output_offset - act_min */
    int32_t span;              /* 44: act_max - act_min */
    int32_t act_min;           /* 48 */
    int32_t rows;              /* 52: outputs per block: 8, or 1..7 for a last block (<= 4: a 4-row block; pairs: 1) */
    int32_t bias_step;         /* 56: 32 or 0 (bytes) */
} m0nn_b8_job_t;

/* The portable block loops' end of a block (m0nn_b8_mul32_blocks.c,
 * m0nn_b4_mul32_blocks.c): the first job->rows accumulators plus their biases and
 * `correction` (modulo 2^32), MUL32-requantized, offset, clamped and stored; the
 * job advanced past the block. */
static inline void m0nn_b8_job_block_done(m0nn_b8_job_t *job, const int32_t *acc, int32_t correction)
{
    int32_t r;
    for (r = 0; r < job->rows; ++r) {
        const int32_t a = (int32_t)((uint32_t)acc[r] + (uint32_t)job->bias[r] + (uint32_t)correction);
        const int32_t y = m0nn_requantize_mul32(a, *job->multiplier, -*job->shift) + job->offset_minus_min;
        m0nn_store_byte(job->output++,
                        (uint32_t)y > (uint32_t)job->span ? (y < 0 ? 0 : job->span) + job->act_min : y + job->act_min);
        /* the steps are whole words: through void * (a project's -Wcast-align sees no narrower cast) */
        job->multiplier = (const int32_t *)(const void *)((const uint8_t *)job->multiplier + job->step);
        job->shift = (const int32_t *)(const void *)((const uint8_t *)job->shift + job->step);
    }
    job->bias = (const int32_t *)(const void *)((const uint8_t *)job->bias + job->bias_step);
    --job->n_blocks;
}

/* For each of job->n_blocks blocks: accumulators = bias + correction plus the
 * dot products of the block with the input, then MUL32 requantization, output
 * offset and clamp of the first job->rows of them, stored to the output.
 * ARMv6-M assembly in m0nn_b8_mul32_blocks_armv6m.S; portable C in
 * m0nn_b8_mul32_blocks.c. */
void m0nn_b8_mul32_blocks(m0nn_b8_job_t *job);
void m0nn_b8w_mul32_blocks(m0nn_b8_job_t *job); /* the wide layout */
/* The pairs layout (m0nn_fc_s8_b8p): the same on int8 weights in groups of 4
 * rows (a block of 5-8 rows is two groups, one of 1-4 rows one; a last group
 * padded with zero rows), each group for each pair p = (a, b) of inputs the 4
 * rows' little-endian words W_p = w[b] + 2^16 w[a] (int32), and the centred
 * input x = u - 128: accumulator = bias + sum_i x_i w_i (the correction is not
 * read). The pairs, P = ceil(in_size / 2) of them: (4g, 4g + 2) and (4g + 1,
 * 4g + 3) for each whole group of 4 inputs (one word of input holds both), then
 * (a, a + 1) for the last in_size mod 4 inputs (w[in_size] = x[in_size] = 0).
 * in_size <= M0NN_B8P_MAX_IN; the input any alignment (a word-aligned one is
 * staged faster). Exact when no row has w[a] = w[b] = -128 for a pair (a, b)
 * (the generator's rule, m0nn.layout.pairs_fit) and the final accumulator fits
 * int32. The call's R = n_blocks * rows outputs run as groups of 4 rows from
 * one staging of the input (any R >= 1: m0nn_fc_b8_mul32 passes a layer whose
 * out_size is not a multiple of 8 as out_size blocks of 1 row); a last group of
 * R mod 4 rows reads only its R mod 4 biases. The job's bias advances by 4 R
 * bytes (bias_step is not read), rows and n_blocks are left. ARMv6-M assembly
 * in m0nn_b8_mul32_blocks_armv6m.S (m0nn_armv6m_pairs.inc); portable C in
 * m0nn_b8_mul32_blocks.c. */
void m0nn_b8p_mul32_blocks(m0nn_b8_job_t *job);

/* m0nn_fc_s8_b8, _b8w, _b4 and _b8p (MUL32): the checks
 * (m0nn_fc_b8_mul32_check), the correction for the weights' +128 (-128 *
 * sum(x)) once per layer, then `blocks` over the layer: at once for the usual
 * layer (a bias, no weight zero point, out_size a multiple of 8); otherwise the
 * full blocks at once and a last partial block fed from a padded copy of its
 * biases so that no block reads past the caller's arrays (reads4: `blocks`
 * reads only 4 biases for a block of at most 4 rows, so one of exactly 4 reads
 * the caller's), or with a weight zero point z or a NULL bias, block by block,
 * each fed a copy of its biases (less z * sum(x)); the ARMv6-M loops step the
 * bias by 8 rows per block. pairs: the pairs layout (m0nn_b8p_mul32_blocks):
 * no correction, in_size <= M0NN_B8P_MAX_IN (else M0NN_ERR_SIZE), a weight
 * zero point z applied as -z * sum(u - 128); with a bias and no weight zero
 * point any out_size is one call (out_size blocks of 1 row), so the input is
 * staged once per layer; a NULL bias or a weight zero point still goes block
 * by block (a stage per block). Each kernel passes its constant
 * descriptor (offsets fixed: the ARMv6-M entry reads them). On ARMv6-M
 * m0nn_fc_b8_mul32 is assembly (m0nn_fc_b8_mul32_armv6m.S) for the usual
 * layer whose arguments are all legal, and m0nn_fc_b8_mul32_c, the portable C
 * (m0nn_fc_s8_b8.c), for every other call: a refused one (its status in
 * m0nn_fc_b8_mul32_check's order), a weight zero point, a NULL bias, a
 * partial last block but a single block of 4 rows or the pairs layout's. */
typedef void (*m0nn_b8_blocks_fn_t)(m0nn_b8_job_t *job);
typedef struct {
    m0nn_b8_blocks_fn_t blocks; /* 0 */
    int32_t reads4;             /* 4 */
    int32_t pairs;              /* 8 */
    int32_t max_in;             /* 12: M0NN_B8P_MAX_IN (pairs) or M0NN_MAX_SIZE */
} m0nn_b8_kernel_t;
m0nn_status_t m0nn_fc_b8_mul32(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                               const m0nn_b8_kernel_t *kernel);
m0nn_status_t m0nn_fc_b8_mul32_c(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                                 const m0nn_b8_kernel_t *kernel);
/* Everything but the usual layer, after the checks, with the job filled for
 * it (rows 8, bias_step 32): the full blocks at once where the bias is the
 * caller's and no zero point applies, then each remaining block alone, fed a
 * copy of its biases (padded; less z * sum(x) with a weight zero point z,
 * modulo 2^32), or, with reads4, a last block of exactly 4 rows reads the
 * caller's own 4. sum: the input's sum (pairs: of u - 128), read only with a
 * weight zero point. m0nn_fc_s8_b8.c. */
void m0nn_fc_b8_mul32_rest(const m0nn_fc_s8_params_t *p, m0nn_b8_job_t *job, const m0nn_b8_kernel_t *kernel,
                           uint32_t sum);

/* 0 iff every shift lies in [-31, -1] and every multiplier is >= 0 (the
 * MUL32 ranges), for n >= 1 channels. The C: a value has bits 5-31 all set
 * iff it lies in [-32, -1], so the AND of s & (s - 1) over all shifts has
 * them all set iff every s and s - 1 do. The ARMv6-M assembly
 * (m0nn_mul32_tables_armv6m.S) tests the carry of s + 31 instead, set iff
 * s lies in [-31, -1]. Portable C in m0nn_mul32_tables.c. */
uint32_t m0nn_mul32_tables_bad(const int32_t *shift, const int32_t *multiplier, int32_t n);

/* The checks the blocked kernels add to m0nn_fc_s8_check: input_offset 0 and
 * 4-byte aligned weights. */
m0nn_status_t m0nn_fc_s8_b8_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output);

/* Checks every argument of m0nn_fc_s8 (see m0nn.h for the ranges). */
m0nn_status_t m0nn_fc_s8_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output);

/* The whole check of the MUL32 blocked kernels, in this order: M0NN_ERR_NULL
 * (as m0nn_fc_s8_check), M0NN_ERR_SIZE (in_size, out_size), M0NN_ERR_OFFSET
 * (input_offset not 0, output_offset, act_min, act_max), M0NN_ERR_QUANT
 * (per_channel), M0NN_ERR_OFFSET (a weight zero point), M0NN_ERR_QUANT
 * (requant not MUL32), M0NN_ERR_SIZE (in_size > max_in), M0NN_ERR_ALIGN
 * (weights), M0NN_ERR_QUANT (the tables, by m0nn_mul32_tables_bad: last, and
 * complete before any output is written). One call, each field read
 * once (it was m0nn_fc_s8_b8_check's two calls, their Q31/SHIFT branches and
 * the walk's own checks). m0nn_fc_s8_check.c. */
m0nn_status_t m0nn_fc_b8_mul32_check(const m0nn_fc_s8_params_t *p, const int8_t *input, const int8_t *output,
                                     int32_t max_in);

#if defined(__GNUC__) || defined(__clang__)
#define M0NN_ALWAYS_INLINE __attribute__((always_inline))
#else
#define M0NN_ALWAYS_INLINE
#endif

/* The C block walk of m0nn_fc_s8_b8_q31 (Q31) and m0nn_fc_s8_b8_shift (SHIFT);
 * MUL32 has its own loop (m0nn_b8_mul32_blocks). One file per kernel, so a
 * model links only the requantization and layout it uses; inline with
 * constant `requant` and `wide`, so each kernel gets only its own code. */
static inline m0nn_status_t m0nn_fc_b8_walk(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                                            int32_t requant, int32_t wide)
{
    const m0nn_status_t status = m0nn_fc_s8_b8_check(p, input, output);
    if (status != M0NN_OK) {
        return status; /* p may be NULL: the declarations below read it (C99) */
    }
    const uint8_t *x = (const uint8_t *)input;
    const uint8_t *block = (const uint8_t *)p->weights;
    const int32_t step = p->per_channel ? 1 : 0;
    const int32_t *m = p->multiplier;
    const int32_t *s = p->shift;
    const int32_t *z = p->weight_zero_point;
    m0nn_q31_split_job_t job;
    uint32_t sum;
    int32_t o0;
    job.step = 4 * step;
    job.output_offset = p->output_offset;
    job.act_min = p->act_min;
    job.act_max = p->act_max;
    if (requant == M0NN_Q31_SPLIT && m0nn_mul32_tables_bad(s, m, p->per_channel ? p->out_size : 1) != 0u) {
        return M0NN_ERR_QUANT; /* the split path takes right shifts only */
    }
    sum = m0nn_sum_u8(x, p->in_size);
    for (o0 = 0; o0 < p->out_size; o0 += 8) {
        const int32_t rows = M0NN_B8_ROWS(p->out_size, o0);
        int32_t acc[8];
        int32_t r;
        if (rows > 4) {
            (wide ? m0nn_b8w_dot8 : m0nn_b8_dot8)(x, block, p->in_size, acc);
        } else {
            (wide ? m0nn_b8w_dot4 : m0nn_b8_dot4)(x, block, p->in_size, acc);
        }
        block += M0NN_B8_STRIDE(rows) * p->in_size * (wide ? 2 : 1);
        for (r = 0; r < rows; ++r) {
            /* the weights' +128 and zero point: -(128 + z) * sum(u), modulo 2^32 */
            const uint32_t scale = 128u + (z != 0 ? (uint32_t)z[(o0 + r) * step] : 0u);
            acc[r] = (int32_t)((uint32_t)acc[r] - scale * sum + (uint32_t)(p->bias != 0 ? p->bias[o0 + r] : 0));
        }
        if (requant == M0NN_Q31_SPLIT) {
            job.multiplier = m;
            job.shift = s;
            m0nn_q31_split_store(acc, rows, &job, output + o0);
        } else {
            m0nn_store_block(p, acc, rows, m, s, step, output + o0, requant);
        }
        m = m != 0 ? m + 8 * step : m; /* NULL with M0NN_REQUANT_SHIFT */
        s += 8 * step;
    }
    return M0NN_OK;
}

/* The packed 4-bit layout (m0nn_fc_s8_b4): blocks of 8 rows, one 32-bit
 * little-endian word per input holding the 8 rows' w + 8 as nibbles (row r at
 * bits 4r); a last block of 1-7 rows is padded with zero weights to 8.
 * acc[r] = sum_{i < n} v_r[i] * x[i] (v the nibbles), exact: below
 * 65535 * 15 * 255 < 2^32. n >= 1; w 4-byte aligned. ARMv6-M assembly in
 * m0nn_b4_dot_armv6m.S; portable C in m0nn_b4_dot.c. */
void m0nn_b4_dot8(const uint8_t *x, const uint8_t *w, int32_t n, int32_t acc[8]);

/* m0nn_b8_mul32_blocks on the packed 4-bit layout: every block 8 rows wide (4
 * bytes per input), job->rows of them stored; job->correction is still
 * -128 * sum(x) (m0nn_fc_b8_mul32 computes it), the function uses -8 * sum(x).
 * ARMv6-M assembly in m0nn_b4_mul32_blocks_armv6m.S; portable C in
 * m0nn_b4_mul32_blocks.c. */
void m0nn_b4_mul32_blocks(m0nn_b8_job_t *job);

/* The walk of m0nn_fc_s8_b4 (MUL32), _q31 and _shift: checks, the correction
 * for the weights' +8 (-8 * sum(x)) once per layer, then per block the dot
 * products, bias, requantization, output offset, clamp and store. Inline with
 * a constant `requant`, so each kernel gets only its own code. */
static inline m0nn_status_t m0nn_fc_b4_walk(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output,
                                            int32_t requant)
{
    const m0nn_status_t status = m0nn_fc_s8_b8_check(p, input, output);
    if (status != M0NN_OK) {
        return status; /* p may be NULL: the declarations below read it (C99) */
    }
    const uint8_t *x = (const uint8_t *)input;
    const uint8_t *block = (const uint8_t *)p->weights;
    const int32_t step = p->per_channel ? 1 : 0;
    const int32_t *m = p->multiplier;
    const int32_t *s = p->shift;
    const int32_t *bias = p->bias;
    const int32_t *z = p->weight_zero_point;
    const int32_t offset = p->output_offset;
    const int32_t lo = p->act_min;
    const int32_t hi = p->act_max;
    const int32_t n = p->in_size;
    int32_t left = p->out_size;
    m0nn_q31_split_job_t job;
    uint32_t sum;
    job.step = 4 * step;
    job.output_offset = offset;
    job.act_min = lo;
    job.act_max = hi;
    if (requant == M0NN_Q31_SPLIT && m0nn_mul32_tables_bad(s, m, p->per_channel ? p->out_size : 1) != 0u) {
        return M0NN_ERR_QUANT; /* the split path takes right shifts only */
    }
    sum = m0nn_sum_u8(x, n);
    while (left > 0) {
        const int32_t rows = left < 8 ? left : 8;
        const int32_t *m0 = m;
        const int32_t *s0 = s;
        int32_t acc[8];
        int32_t r;
        m0nn_b4_dot8(x, block, n, acc);
        block += 4 * n;
        for (r = 0; r < rows; ++r) {
            /* the weights' +8 and zero point: -(8 + z) * sum(u), modulo 2^32 */
            const uint32_t scale = 8u + (z != 0 ? (uint32_t)*z : 0u);
            const int32_t a = (int32_t)((uint32_t)acc[r] - scale * sum + (uint32_t)(bias != 0 ? bias[r] : 0));
            if (requant == M0NN_Q31_SPLIT) {
                acc[r] = a; /* requantized below, the block at once */
            } else {
                const int32_t y = requant == M0NN_REQUANT_MUL32 ? m0nn_requantize_mul32(a, *m, -*s)
                                  : requant == M0NN_REQUANT_Q31 ? m0nn_requantize_q31(a, *m, *s)
                                                                : m0nn_requantize_shift(a, -*s);
                m0nn_store_byte(output++, m0nn_offset_clamp(y, offset, lo, hi));
            }
            m = m != 0 ? m + step : m; /* NULL with M0NN_REQUANT_SHIFT */
            z = z != 0 ? z + step : z;
            s += step;
        }
        if (requant == M0NN_Q31_SPLIT) {
            job.multiplier = m0;
            job.shift = s0;
            m0nn_q31_split_store(acc, rows, &job, output);
            output += rows;
        }
        bias = bias != 0 ? bias + 8 : bias;
        left -= rows;
    }
    return M0NN_OK;
}

/* round_half_even(p / 2^right), right in [1, 31], for p + 2^(right - 1) < 2^31:
 * adding 2^(right-1) - 1 plus the lowest bit of the quotient rounds ties to even. */
static inline int32_t m0nn_shift_round_half_even(int32_t p, int32_t right)
{
    return (p + (int32_t)(1u << (right - 1)) - 1 + ((p >> right) & 1)) >> right;
}

/* The argument checks of m0nn_quantize_s16/_s32 (m0nn.h). */
static inline m0nn_status_t m0nn_quantize_check(const m0nn_quantize_params_t *p, const void *raw, const int8_t *out,
                                                int32_t n)
{
    if (p == 0 || raw == 0 || out == 0) {
        return M0NN_ERR_NULL;
    }
    if (n < 1) {
        return M0NN_ERR_SIZE;
    }
    if (p->pre_shift < 0 || p->pre_shift > 31 || p->shift < -31 || p->shift > -1 || p->multiplier < 0 ||
        p->raw_min > p->raw_max) {
        return M0NN_ERR_QUANT;
    }
    if (p->zero_point < -128 || p->zero_point > 127 || p->q_min < -128 || p->q_min > p->q_max || p->q_max > 127) {
        return M0NN_ERR_OFFSET;
    }
    return M0NN_OK;
}

/* One raw value to int8 (m0nn.h, m0nn_quantize_params_t); the clamp to
 * [raw_min, raw_max] keeps the product within int32. */
static inline int8_t m0nn_quantize_one(const m0nn_quantize_params_t *p, int32_t raw)
{
    int32_t q;
    raw = raw < p->raw_min ? p->raw_min : raw;
    raw = raw > p->raw_max ? p->raw_max : raw;
    q = m0nn_shift_round_half_even(((raw - p->raw_offset) >> p->pre_shift) * p->multiplier, -p->shift);
    q += p->zero_point;
    q = q < p->q_min ? p->q_min : q;
    return (int8_t)(q > p->q_max ? p->q_max : q);
}

/* One call of m0nn_conv_s8's fast path (m0nn.graph.lanes): one block of
 * `width` (8 or 4) output channels at `positions` windows of `len` bytes of
 * offset-binary activations u (window, window + step, ...). Per window the
 * accumulators S/H start from the block's constants, take u * word for each
 * input and its lane words (one per pair of channels), and the low channels
 * get -128 * sum u; then with acc NULL (M0NN_REQUANT_MUL32) each channel is
 * requantized with its {multiplier, right} from the constants, offset by
 * offset_minus_min, clamped to [0, span], offset by act_min and stored at
 * output + channel (output advancing by out_step per window); with acc set
 * (positions 1) the `width` accumulators are written there in channel order. */
typedef struct {
    const uint8_t *window;    /* 0: the first window */
    int32_t step;             /* 4: bytes between windows */
    int32_t positions;        /* 8: windows (>= 1) */
    int8_t *output;           /* 12: the first window's first channel */
    int32_t out_step;         /* 16: bytes between windows' outputs */
    const uint32_t *weights;  /* 20: the block's lane words (4-byte aligned) */
    const int32_t *consts;    /* 24: the block's constants */
    int32_t len;              /* 28: bytes per window (>= 1) */
    int32_t width;            /* 32: 8 or 4 */
    int32_t offset_minus_min; /* 36: output_offset - act_min */
    int32_t span;             /* 40: act_max - act_min */
    int32_t act_min;          /* 44 */
    int32_t *acc;             /* 48: NULL, or the accumulators of one window */
    int32_t lower;            /* 52: nonzero: the lower clamp is common (a fused ReLU), clamp it without a branch */
} m0nn_conv_job_t;

/* The loop of m0nn_conv_s8's fast path: see m0nn_conv_job_t. ARMv6-M assembly
 * in m0nn_conv_lanes_armv6m.S; portable C in m0nn_conv_lanes.c. */
void m0nn_conv_lanes(const m0nn_conv_job_t *job);

/* One channel's 3x3 depthwise windows, two outputs each (m0nn_depthwise_conv_s8):
 * window i reads the packed words u0 | u1 << 16 (offset-binary, each 0..255) at
 * q + i * step + r * row + k for r, k in 0..2, with the channel's biased weights
 * v[3 r + k] = w + 128, and writes out[2i] = sum u0 v - 128 sum u0 and out[2i + 1]
 * = sum u1 v - 128 sum u1 (= sum u w per output), for `pairs` >= 1 windows.
 * ARMv6-M assembly in m0nn_dw3x3_pairs_armv6m.S; portable C in m0nn_dw3x3_pairs.c. */
void m0nn_dw3x3_pairs(const uint32_t *q, int32_t row, const uint32_t *v, int32_t pairs, int32_t step, int32_t *out);

/* The 3x3 / 1x3 depthwise fast path (m0nn_depthwise_conv_s8 with lane tables:
 * multiplier 1, stride_w 1, no dilation), one band of output rows and tile of
 * output columns, `channels` channels in turn. A channel's band of rows is packed
 * M0NN_DW_ROW words per row, word j = (x[j] + 129) + x[j + 1] * 2^16 (padding holds
 * x = zero point): the low lane u = x + 129 lies in [1, 256] and the high lane is x
 * itself. With the signed weight w one MULS gives P = u w + 2^16 x' w; u w lies in
 * [-32768, 32512], so P >> 16 (arithmetic) = x' w - (w < 0), a borrow the weights
 * alone fix (m0nn.graph.dw_lanes folds it into B0, B1). Per channel:
 * 1. if `dirty` (the previous channel's sums overwrote them), for each bit r of
 *    `fill`: 2 pairs words of the pad word (pad_lo + pad_hi) from W(0) of plane row r;
 * 2. packing (pk_rows >= 1): per row (from pk_plane on, rows M0NN_DW_ROW words
 *    apart) and per value v of its n values (x, x + step, ... bytes; rows row_in
 *    bytes apart) the word lo + (v << 16), lo = pad_lo for the first and
 *    (previous v) + 129 after, then if tail, lo + pad_hi; x advances one byte;
 * 3. the sums: for `rows` output rows (row r's first window at plane + r * row_step
 *    bytes) and `pairs` windows per row, two words apart, S = sum P (modulo 2^32)
 *    and H = sum (P >> 16) over the taps at word offsets ky * M0NN_DW_ROW + kx,
 *    weight w[3 ky + kx] (byte 3 ky + kx of the words at `weights`, which advances
 *    three words, one for a 1x3 kernel); S and H overwrite the window's first two words (the top
 *    row's, read for the last time); `dirty` becomes 1;
 * 4. with `requant` (M0NN_REQUANT_MUL32; else the caller requantizes the sums
 *    between calls of one channel each): per pair acc0 = S - (H << 16) + B0 and
 *    acc1 = H + B1 ({B0, B1} at `consts`), y = (acc m + round) >> right computed as
 *    ((S - (H << 16)) m + c0) >> right with c0 = B0 m + round modulo 2^32 (exact:
 *    the generator proves |acc| m + round < 2^31), m = *mult, right = -*shift,
 *    then clamp(y + offset, lo, hi) as min(max(y + d, 0), span) + lo (d = offset -
 *    lo, span = hi - lo), stored at out, out + out_step, ...; `odd`: each row's last
 *    pair stores its left output only; out_skip bytes from past a row's last output
 *    to the next row's first; consts, mult, shift and out advance one channel.
 * ARMv6-M assembly in m0nn_dw3x3_channels_armv6m.S; portable C in
 * m0nn_dw3x3_channels.c. */
#define M0NN_DW_ROW 14
typedef struct {
    uint32_t *plane;         /* 0: W(0) of plane row 0 */
    int32_t pairs;           /* 4: 1 .. (M0NN_DW_ROW - 1) / 2 */
    int32_t rows;            /* 8: output rows, >= 1 */
    int32_t row_step;        /* 12: bytes */
    const uint32_t *weights; /* 16: 3 words a channel (1x3: 1), byte k the weight w[k] (two's complement) */
    int32_t kernel_h;        /* 20: 3 or 1 (taps ky = 0 only) */
    uint32_t *pk_plane;      /* 24 */
    const int8_t *x;         /* 28 */
    int32_t pk_rows;         /* 32: >= 0 */
    int32_t row_in;          /* 36: bytes */
    int32_t step;            /* 40: bytes */
    int32_t n;               /* 44: 1 .. M0NN_DW_ROW */
    int32_t tail;            /* 48: 0 or 1 */
    uint32_t pad_lo;         /* 52: zero point + 129 */
    uint32_t pad_hi;         /* 56: zero point << 16 */
    uint32_t fill;           /* 60: plane rows to pad again, a bit each */
    int32_t dirty;           /* 64 */
    int32_t requant;         /* 68 */
    int32_t channels;        /* 72: >= 1 */
    const int32_t *consts;   /* 76: B0, B1 a channel */
    const int32_t *mult;     /* 80 */
    const int32_t *shift;    /* 84: [-31, -1] */
    int8_t *out;             /* 88 */
    int32_t out_step;        /* 92: bytes */
    int32_t out_skip;        /* 96: bytes */
    int32_t odd;             /* 100: 0 or 1 */
    int32_t d, span, lo;     /* 104, 108, 112 */
    int32_t lower;           /* 116: nonzero: the lower clamp is common (a fused ReLU), clamp it without a branch */
} m0nn_dw_job_t;
void m0nn_dw3x3_channels(m0nn_dw_job_t *job);

/* A conv accumulator of output channel co through the layer's requantization. */
static inline int32_t m0nn_conv_requantize(const m0nn_conv_s8_params_t *p, int32_t acc, int32_t co)
{
    if (p->requant == M0NN_REQUANT_MUL32) {
        return m0nn_requantize_mul32(acc, p->multiplier[co], -p->shift[co]);
    }
    if (p->requant == M0NN_REQUANT_SHIFT) {
        return m0nn_requantize_shift(acc, -p->shift[co]);
    }
    return m0nn_requantize_q31(acc, p->multiplier[co], p->shift[co]);
}

/* The taps [lo, hi) of a pooling window that starts at i0 (output * stride - pad)
 * and spans `kernel` taps, clipped to the input's [0, size): the window set-up
 * m0nn_maxpool_s8 and m0nn_avgpool_s8 share. */
typedef struct {
    int32_t lo, hi;
} m0nn_span_t;
static inline m0nn_span_t m0nn_pool_span(int32_t i0, int32_t kernel, int32_t size)
{
    m0nn_span_t s;
    s.lo = i0 < 0 ? 0 : i0;
    s.hi = i0 + kernel > size ? size : i0 + kernel;
    return s;
}

/* Argument checks shared by kernel families (graph operators). */
m0nn_status_t m0nn_conv_s8_check(const m0nn_conv_s8_params_t *p, const int8_t *input, const int8_t *output,
                                 int32_t depthwise);
m0nn_status_t m0nn_pool_s8_check(const m0nn_pool_s8_params_t *p, const int8_t *input, const int8_t *output,
                                 int32_t average);

#endif /* M0NN_INTERNAL_H */
