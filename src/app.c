#include "app.h"

#include "digits.h"
#include "digits_test.h"
#include "m0nn.h"

static void print_int(int32_t v)
{
    /* Powers of ten by subtraction: no divider on ARMv6-M. */
    static const uint32_t pow10[10] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                       10000u,      1000u,      100u,      10u,      1u};
    char buf[12];
    char *q = buf;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    int32_t started = 0;
    int32_t i;
    if (v < 0) {
        *q++ = '-';
    }
    for (i = 0; i < 10; ++i) {
        char d = '0';
        while (u >= pow10[i]) {
            u -= pow10[i];
            ++d;
        }
        if (d != '0' || started || i == 9) {
            *q++ = d;
            started = 1;
        }
    }
    *q = '\0';
    port_print(buf);
}

/* Percentage with two decimals from integers: 10000 * num / den by subtraction. */
static void print_percent(int32_t num, int32_t den)
{
    int32_t scaled = num * 10000;
    int32_t hundredths = 0;
    int32_t frac;
    while (scaled >= den) {
        scaled -= den;
        ++hundredths;
    }
    if (scaled * 2 >= den) {
        ++hundredths; /* round half up */
    }
    frac = hundredths;
    {
        int32_t whole = 0;
        while (frac >= 100) {
            frac -= 100;
            ++whole;
        }
        print_int(whole);
    }
    port_print(frac < 10 ? ".0" : ".");
    print_int(frac);
    port_print("%");
}

int app_run(void)
{
    static int8_t arena[DIGITS_ARENA_SIZE > 0 ? DIGITS_ARENA_SIZE : 1] M0NN_ALIGN4;
    int8_t out[DIGITS_OUTPUT_SIZE];
    int32_t correct = 0;
    int32_t exact = 0;
    int32_t first_mismatch = -1;
    int32_t n;

    for (n = 0; n < DIGITS_N_TESTS; ++n) {
        int32_t i;
        int32_t same = 1;
        const m0nn_status_t status = digits_run(digits_test_inputs[n], out, arena);
        if (status != M0NN_OK) {
            port_print("m0nn: digits_run failed with status ");
            print_int(status);
            port_print("\n");
            return 2;
        }
        for (i = 0; i < DIGITS_OUTPUT_SIZE; ++i) {
            same &= out[i] == digits_test_expected[n][i];
        }
        exact += same;
        if (!same && first_mismatch < 0) {
            first_mismatch = n;
        }
        correct += m0nn_argmax_s8(out, DIGITS_OUTPUT_SIZE) == digits_test_labels[n];
    }
    port_print("m0nn: digits: ");
    print_int(exact);
    port_print("/");
    print_int(DIGITS_N_TESTS);
    port_print(" outputs equal the integer reference\n");
    if (first_mismatch >= 0) {
        port_print("m0nn: first mismatching test vector: ");
        print_int(first_mismatch);
        port_print(" (run `m0nn check` to find the first diverging layer)\n");
    }
    port_print("m0nn: digits: int8 accuracy ");
    print_int(correct);
    port_print("/");
    print_int(DIGITS_N_TESTS);
    port_print(" = ");
    print_percent(correct, DIGITS_N_TESTS);
    port_print("\n");
    return exact == DIGITS_N_TESTS ? 0 : 1;
}
