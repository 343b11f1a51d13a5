/* The C side of `m0nn fuzz` (python/m0nn/fuzz.py): reads layer cases from a
 * binary stream (stdin), runs each through m0nn_fc_s8 (row-major weights) and
 * the blocked kernel of its requantization on both layouts (m0nn_fc_s8_b8*,
 * m0nn_fc_s8_b8w*; the _q31_split kernels too for a Q31 case inside their
 * domain; m0nn_fc_s8_b8p for a case the pairs layout holds), and compares every
 * output byte with the expected bytes of the Python integer reference. A guard
 * byte after the output catches writes past out_size; built with
 * -fsanitize=address,undefined, ASan and UBSan catch the rest. A case outside
 * the pairs kernel's domain (not MUL32, in_size > 64) checks that it refuses
 * with the status the stream names and writes no output byte. Prints one line
 * per mismatch ("mismatch CASE KERNEL INDEX GOT WANT") and a last line
 * "calls N mismatches M split S pairs P refused R" (N counts the split and
 * pairs calls, not the refused ones). Host only (stdio, malloc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m0nn.h"

#define N_HEADER 17

static int read_exact(void *buf, size_t n)
{
    return n == 0 || fread(buf, 1, n, stdin) == n;
}

static void *take(size_t n)
{
    /* One spare word: every buffer may be offset by up to 3 bytes. */
    void *p = malloc(n + 8);
    if (p == NULL || !read_exact(p, n)) {
        fprintf(stderr, "fuzz_driver: truncated stream\n");
        exit(2);
    }
    return p;
}

/* Moves n bytes up by `by` (0..3) in place; the buffer has room for it. */
static void *misalign(void *p, size_t n, int32_t by)
{
    memmove((char *)p + by, p, n);
    return (char *)p + by;
}

static long check(long index, const char *name, m0nn_fc_fn_t kernel, const m0nn_fc_s8_params_t *p, const int8_t *input,
                  const int8_t *expected)
{
    int8_t *out = malloc((size_t)p->out_size + 1);
    m0nn_status_t status;
    long bad = 0;
    int32_t i;
    if (out == NULL) {
        exit(2);
    }
    out[p->out_size] = 0x5a;
    status = kernel(p, input, out);
    if (status != M0NN_OK) {
        printf("mismatch %ld %s status %d 0\n", index, name, (int)status);
        bad = 1;
    } else {
        for (i = 0; i < p->out_size; ++i) {
            if (out[i] != expected[i]) {
                printf("mismatch %ld %s %d %d %d\n", index, name, (int)i, (int)out[i], (int)expected[i]);
                bad = 1;
                break;
            }
        }
        if (out[p->out_size] != 0x5a) {
            printf("mismatch %ld %s guard 0 0\n", index, name);
            bad = 1;
        }
    }
    free(out);
    return bad;
}

/* A call the kernel must refuse with status `want`, every output byte (and the
 * guard) left as it was. */
static long check_refused(long index, const char *name, m0nn_fc_fn_t kernel, const m0nn_fc_s8_params_t *p,
                          const int8_t *input, int32_t want)
{
    int8_t *out = malloc((size_t)p->out_size + 1);
    m0nn_status_t status;
    long bad = 0;
    int32_t i;
    if (out == NULL) {
        exit(2);
    }
    for (i = 0; i <= p->out_size; ++i) {
        out[i] = (int8_t)(0x5a ^ i);
    }
    status = kernel(p, input, out);
    if ((int32_t)status != want) {
        printf("mismatch %ld %s status %d %d\n", index, name, (int)status, (int)want);
        bad = 1;
    }
    for (i = 0; i <= p->out_size && !bad; ++i) {
        if (out[i] != (int8_t)(0x5a ^ i)) {
            printf("mismatch %ld %s %d %d %d\n", index, name, (int)i, (int)out[i], (int)(int8_t)(0x5a ^ i));
            bad = 1;
        }
    }
    free(out);
    return bad;
}

int main(void)
{
    static const m0nn_fc_fn_t narrow[3] = {m0nn_fc_s8_b8_q31, m0nn_fc_s8_b8, m0nn_fc_s8_b8_shift};
    static const m0nn_fc_fn_t wide[3] = {m0nn_fc_s8_b8w_q31, m0nn_fc_s8_b8w, m0nn_fc_s8_b8w_shift};
    static const m0nn_fc_fn_t packed4[3] = {m0nn_fc_s8_b4_q31, m0nn_fc_s8_b4, m0nn_fc_s8_b4_shift};
    long split_calls = 0;
    long pairs_calls = 0;
    long refused = 0;
    long calls = 0;
    long mismatches = 0;
    long index = 0;
    int32_t h[N_HEADER];

    while (read_exact(h, sizeof h) && !feof(stdin)) {
        /* in, out, input_offset, output_offset, act_min, act_max, per_channel,
         * requant, has_bias, input misalignment, blocked bytes, wide bytes,
         * has_weight_zero_point, packed 4-bit bytes (0: weights beyond [-8, 7]),
         * split (Q31 inside the _q31_split kernels' domain), pairs-layout bytes
         * (0: not a pairs case), the status m0nn_fc_s8_b8p must refuse the case
         * with (0: none) */
        const int32_t in = h[0];
        const int32_t out = h[1];
        const int32_t n_quant = h[6] ? out : 1;
        int8_t *x = take((size_t)in);
        int8_t *w = take((size_t)in * (size_t)out);
        uint8_t *wb = take((size_t)h[10]);
        uint8_t *ww = take((size_t)h[11]);
        uint8_t *w4 = take((size_t)h[13]);
        int32_t *bias = h[8] ? take(sizeof(int32_t) * (size_t)out) : NULL;
        int32_t *folded = take(sizeof(int32_t) * (size_t)out);
        int32_t *m = take(sizeof(int32_t) * (size_t)n_quant);
        int32_t *s = take(sizeof(int32_t) * (size_t)n_quant);
        int32_t *z = h[12] ? take(sizeof(int32_t) * (size_t)n_quant) : NULL;
        int8_t *expected = take((size_t)out);
        int32_t *pbias = h[15] > 0 ? take(sizeof(int32_t) * (size_t)out) : NULL;
        uint8_t *wp = take((size_t)h[15]);
        uint8_t *xu = malloc((size_t)in + 8);
        uint8_t *xu_at;
        int8_t *x_at;
        m0nn_fc_s8_params_t p;
        int32_t i;

        if (xu == NULL || h[7] < 0 || h[7] > 2) {
            fprintf(stderr, "fuzz_driver: bad case %ld\n", index);
            return 2;
        }
        for (i = 0; i < in; ++i) {
            xu[i] = (uint8_t)(x[i] ^ 0x80); /* offset-binary: q + 128 */
        }
        x_at = misalign(x, (size_t)in, h[9]);
        xu_at = misalign(xu, (size_t)in, h[9]);
        p.in_size = in;
        p.out_size = out;
        p.input_offset = h[2];
        p.output_offset = h[3];
        p.act_min = h[4];
        p.act_max = h[5];
        p.per_channel = h[6];
        p.requant = h[7];
        p.weights = w;
        p.bias = bias;
        p.multiplier = h[7] == M0NN_REQUANT_SHIFT && (index & 1) ? NULL : m;
        p.shift = s;
        p.weight_zero_point = z;
        mismatches += check(index, "ref", m0nn_fc_s8, &p, x_at, expected);
        if (p.requant == M0NN_REQUANT_MUL32 && p.multiplier != NULL) {
            /* kernel=small: the same layout and arguments, MUL32 only */
            mismatches += check(index, "small", m0nn_fc_s8_small, &p, x_at, expected);
            ++calls;
        }
        p.input_offset = 0;
        p.bias = folded;
        p.weights = wb;
        mismatches += check(index, "b8", narrow[h[7]], &p, (const int8_t *)xu_at, expected);
        p.weights = ww;
        mismatches += check(index, "b8w", wide[h[7]], &p, (const int8_t *)xu_at, expected);
        calls += 3;
        if (h[13] > 0) {
            p.weights = w4;
            mismatches += check(index, "b4", packed4[h[7]], &p, (const int8_t *)xu_at, expected);
            ++calls;
        }
        if (h[14] && h[7] == M0NN_REQUANT_Q31) {
            p.weights = wb;
            mismatches += check(index, "b8_split", m0nn_fc_s8_b8_q31_split, &p, (const int8_t *)xu_at, expected);
            p.weights = ww;
            mismatches += check(index, "b8w_split", m0nn_fc_s8_b8w_q31_split, &p, (const int8_t *)xu_at, expected);
            split_calls += 2;
            if (h[13] > 0) {
                p.weights = w4;
                mismatches += check(index, "b4_split", m0nn_fc_s8_b4_q31_split, &p, (const int8_t *)xu_at, expected);
                ++split_calls;
            }
        }
        if (h[15] > 0) { /* the pairs layout: centred input read from the same bytes, its own bias */
            p.bias = pbias;
            p.weights = wp;
            mismatches += check(index, "b8p", m0nn_fc_s8_b8p, &p, (const int8_t *)xu_at, expected);
            ++pairs_calls;
        } else if (h[16] != 0) {
            p.weights = ww;
            mismatches += check_refused(index, "b8p_refused", m0nn_fc_s8_b8p, &p, (const int8_t *)xu_at, h[16]);
            ++refused;
        }
        free(x);
        free(w);
        free(wb);
        free(ww);
        free(w4);
        free(bias);
        free(folded);
        free(m);
        free(s);
        free(z);
        free(expected);
        free(pbias);
        free(wp);
        free(xu);
        ++index;
    }
    printf("calls %ld mismatches %ld split %ld pairs %ld refused %ld\n", calls + split_calls + pairs_calls, mismatches,
           split_calls, pairs_calls, refused);
    return mismatches != 0;
}
