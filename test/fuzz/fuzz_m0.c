/* The emulated Cortex-M0 side of `m0nn fuzz` (target m0): the same case stream
 * as fuzz_driver.c, read from the host file m0nn_fuzz_cases.bin over ARM
 * semihosting (QEMU's -semihosting-config target=native), into static buffers
 * sized for the 16 KB of the micro:bit (the Python side draws cases that fit).
 * Runs m0nn_fc_s8 and the blocked kernel of each case's requantization on both
 * layouts (the ARMv6-M assembly paths; the _q31_split kernels too for a Q31
 * case inside their domain; m0nn_fc_s8_b8p for a case the pairs layout holds,
 * else its refusal, as fuzz_driver.c), compares every byte with the expected
 * bytes of the Python integer reference, prints one line per mismatch and a
 * last line "calls N mismatches M split S pairs P refused R", and exits with 0
 * (none) or 1. The pairs-layout words come last in a case and are read into
 * the wide layout's buffer once b8w has run (RAM: 16 KB). */
#include <stddef.h>
#include <stdint.h>

#include "m0nn.h"
#include "m0qemu.h"

#define N_HEADER 17
#define MAX_IN 200
#define MAX_OUT 24
#define MAX_W 1024
#define MAX_WB 2600
#define MAX_WW 5200
#define MAX_W4 2600

#define SYS_OPEN 0x01
#define SYS_READ 0x06

static int32_t semihost(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int32_t handle;

/* 1 when all n bytes were read, 0 at the end of the stream. */
static int read_exact(void *buf, uint32_t n)
{
    uint32_t block[3];
    block[0] = (uint32_t)handle;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = n;
    return n == 0 || semihost(SYS_READ, block) == 0; /* returns the bytes not read */
}

static void put_int(long v)
{
    char buf[24];
    char *p = buf + sizeof buf - 1;
    const int neg = v < 0;
    unsigned long u = neg ? 0ul - (unsigned long)v : (unsigned long)v;
    *p = 0;
    do {
        *--p = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0);
    if (neg) {
        *--p = '-';
    }
    m0qemu_puts(p);
}

static void fail(const char *why)
{
    m0qemu_puts("fuzz_m0: ");
    m0qemu_puts(why);
    m0qemu_puts("\n");
    m0qemu_exit(2);
}

static int8_t x[MAX_IN + 4] M0NN_ALIGN4;
static uint8_t xu[MAX_IN + 4] M0NN_ALIGN4;
static int8_t w[MAX_W] M0NN_ALIGN4;
static uint8_t wb[MAX_WB] M0NN_ALIGN4;
static uint8_t ww[MAX_WW] M0NN_ALIGN4;
static uint8_t w4[MAX_W4] M0NN_ALIGN4;
static int32_t bias[MAX_OUT];
static int32_t folded[MAX_OUT];
static int32_t pbias[MAX_OUT];
static int32_t m[MAX_OUT];
static int32_t s[MAX_OUT];
static int32_t z[MAX_OUT];
static int8_t expected[MAX_OUT];
static int8_t out[MAX_OUT + 1];

static long check(long index, const char *name, m0nn_fc_fn_t kernel, const m0nn_fc_s8_params_t *p, const int8_t *input)
{
    m0nn_status_t status;
    int32_t i;
    out[p->out_size] = 0x5a;
    status = kernel(p, input, out);
    for (i = 0; i <= p->out_size; ++i) {
        const int bad = status != M0NN_OK || (i < p->out_size ? out[i] != expected[i] : out[i] != 0x5a);
        if (bad) {
            m0qemu_puts("mismatch ");
            put_int(index);
            m0qemu_puts(" ");
            m0qemu_puts(name);
            m0qemu_puts(" ");
            put_int(status != M0NN_OK ? (long)status : (long)i);
            m0qemu_puts(" ");
            put_int(i < p->out_size ? out[i] : 0);
            m0qemu_puts(" ");
            put_int(i < p->out_size ? expected[i] : 0);
            m0qemu_puts("\n");
            return 1;
        }
    }
    return 0;
}

/* A call the kernel must refuse with status `want`, every output byte (and the
 * guard) left as it was. */
static long check_refused(long index, const char *name, m0nn_fc_fn_t kernel, const m0nn_fc_s8_params_t *p,
                          const int8_t *input, int32_t want)
{
    m0nn_status_t status;
    int32_t i;
    for (i = 0; i <= p->out_size; ++i) {
        out[i] = (int8_t)(0x5a ^ i);
    }
    status = kernel(p, input, out);
    for (i = (int32_t)status != want ? -1 : 0; i <= p->out_size; ++i) {
        if (i < 0 || out[i] != (int8_t)(0x5a ^ i)) { /* as fuzz_driver.c: "status GOT WANT" or "INDEX GOT WANT" */
            m0qemu_puts("mismatch ");
            put_int(index);
            m0qemu_puts(" ");
            m0qemu_puts(name);
            m0qemu_puts(" ");
            if (i < 0) {
                m0qemu_puts("status");
            } else {
                put_int(i);
            }
            m0qemu_puts(" ");
            put_int(i < 0 ? (long)status : (long)out[i]);
            m0qemu_puts(" ");
            put_int(i < 0 ? (long)want : (long)(int8_t)(0x5a ^ i));
            m0qemu_puts("\n");
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    static const m0nn_fc_fn_t narrow[3] = {m0nn_fc_s8_b8_q31, m0nn_fc_s8_b8, m0nn_fc_s8_b8_shift};
    static const m0nn_fc_fn_t wide[3] = {m0nn_fc_s8_b8w_q31, m0nn_fc_s8_b8w, m0nn_fc_s8_b8w_shift};
    static const m0nn_fc_fn_t packed4[3] = {m0nn_fc_s8_b4_q31, m0nn_fc_s8_b4, m0nn_fc_s8_b4_shift};
    long split_calls = 0;
    long pairs_calls = 0;
    long refused = 0;
    static const char name[] = "m0nn_fuzz_cases.bin";
    uint32_t open_block[3];
    long calls = 0;
    long mismatches = 0;
    long index = 0;
    int32_t h[N_HEADER];

    open_block[0] = (uint32_t)(uintptr_t)name;
    open_block[1] = 1; /* "rb" */
    open_block[2] = sizeof name - 1;
    handle = semihost(SYS_OPEN, open_block);
    if (handle < 0) {
        fail("cannot open m0nn_fuzz_cases.bin");
    }
    while (read_exact(h, sizeof h)) {
        const int32_t in = h[0];
        const int32_t n_out = h[1];
        const int32_t n_quant = h[6] ? n_out : 1;
        m0nn_fc_s8_params_t p;
        int32_t i;
        if (in < 1 || in > MAX_IN || n_out < 1 || n_out > MAX_OUT || in * n_out > MAX_W || h[10] > MAX_WB ||
            h[11] > MAX_WW || h[13] < 0 || h[13] > MAX_W4 || h[7] < 0 || h[7] > 2 || h[9] < 0 || h[9] > 3 ||
            h[15] < 0 || h[15] > MAX_WW) {
            fail("case too large for the M0 buffers");
        }
        if (!read_exact(x + h[9], (uint32_t)in) || !read_exact(w, (uint32_t)(in * n_out)) ||
            !read_exact(wb, (uint32_t)h[10]) || !read_exact(ww, (uint32_t)h[11]) || !read_exact(w4, (uint32_t)h[13]) ||
            (h[8] && !read_exact(bias, 4u * (uint32_t)n_out)) || !read_exact(folded, 4u * (uint32_t)n_out) ||
            !read_exact(m, 4u * (uint32_t)n_quant) || !read_exact(s, 4u * (uint32_t)n_quant) ||
            (h[12] && !read_exact(z, 4u * (uint32_t)n_quant)) || !read_exact(expected, (uint32_t)n_out)) {
            fail("truncated stream");
        }
        for (i = 0; i < in; ++i) {
            xu[h[9] + i] = (uint8_t)(x[h[9] + i] ^ 0x80); /* offset-binary: q + 128 */
        }
        p.in_size = in;
        p.out_size = n_out;
        p.input_offset = h[2];
        p.output_offset = h[3];
        p.act_min = h[4];
        p.act_max = h[5];
        p.per_channel = h[6];
        p.requant = h[7];
        p.weights = w;
        p.bias = h[8] ? bias : NULL;
        p.multiplier = m;
        p.shift = s;
        p.weight_zero_point = h[12] ? z : NULL;
        mismatches += check(index, "ref", m0nn_fc_s8, &p, x + h[9]);
        if (p.requant == M0NN_REQUANT_MUL32 && p.multiplier != NULL) {
            /* kernel=small: the same layout and arguments, MUL32 only */
            mismatches += check(index, "small", m0nn_fc_s8_small, &p, x + h[9]);
            ++calls;
        }
        p.input_offset = 0;
        p.bias = folded;
        p.weights = wb;
        mismatches += check(index, "b8", narrow[h[7]], &p, (const int8_t *)(xu + h[9]));
        p.weights = ww;
        mismatches += check(index, "b8w", wide[h[7]], &p, (const int8_t *)(xu + h[9]));
        calls += 3;
        if (h[13] > 0) {
            p.weights = w4;
            mismatches += check(index, "b4", packed4[h[7]], &p, (const int8_t *)(xu + h[9]));
            ++calls;
        }
        if (h[14] && h[7] == M0NN_REQUANT_Q31) { /* inside the _q31_split kernels' domain */
            p.weights = wb;
            mismatches += check(index, "b8_split", m0nn_fc_s8_b8_q31_split, &p, (const int8_t *)(xu + h[9]));
            p.weights = ww;
            mismatches += check(index, "b8w_split", m0nn_fc_s8_b8w_q31_split, &p, (const int8_t *)(xu + h[9]));
            split_calls += 2;
            if (h[13] > 0) {
                p.weights = w4;
                mismatches += check(index, "b4_split", m0nn_fc_s8_b4_q31_split, &p, (const int8_t *)(xu + h[9]));
                ++split_calls;
            }
        }
        if (h[15] > 0) { /* the pairs layout: centred input read from the same bytes, its own bias */
            if (!read_exact(pbias, 4u * (uint32_t)n_out) || !read_exact(ww, (uint32_t)h[15])) {
                fail("truncated stream");
            }
            p.bias = pbias;
            p.weights = ww;
            mismatches += check(index, "b8p", m0nn_fc_s8_b8p, &p, (const int8_t *)(xu + h[9]));
            ++pairs_calls;
        } else if (h[16] != 0) {
            p.weights = ww;
            mismatches += check_refused(index, "b8p_refused", m0nn_fc_s8_b8p, &p, (const int8_t *)(xu + h[9]), h[16]);
            ++refused;
        }
        ++index;
    }
    m0qemu_puts("calls ");
    put_int(calls + split_calls + pairs_calls);
    m0qemu_puts(" mismatches ");
    put_int(mismatches);
    m0qemu_puts(" split ");
    put_int(split_calls);
    m0qemu_puts(" pairs ");
    put_int(pairs_calls);
    m0qemu_puts(" refused ");
    put_int(refused);
    m0qemu_puts("\n");
    m0qemu_exit(mismatches != 0);
}
