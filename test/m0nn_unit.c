#include "m0nn_unit.h"

#ifdef M0QEMU
#include "m0qemu.h"
#define UNIT_PUTS(s) m0qemu_puts(s)
#else
#include <stdio.h>
#define UNIT_PUTS(s) (void)fputs((s), stdout)
#endif

static int32_t tests_run;
static int32_t tests_failed;
static int32_t current_failed;
static const char *current_file;
static const char *current_name;
static int32_t current_line;

void m0nn_unit_print(const char *s)
{
    UNIT_PUTS(s);
}

void m0nn_unit_print_int(int32_t v)
{
    /* Decimal digits by subtracting powers of ten: ARMv6-M has no divider. */
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
    UNIT_PUTS(buf);
}

static void fail_prefix(int32_t line)
{
    if (current_failed) {
        return;
    }
    current_failed = 1;
    UNIT_PUTS(current_file);
    UNIT_PUTS(":");
    m0nn_unit_print_int(line);
    UNIT_PUTS(":");
    UNIT_PUTS(current_name);
    UNIT_PUTS(":FAIL: ");
}

int m0nn_unit_eq_int(int32_t expected, int32_t actual, int32_t line, const char *what)
{
    if (expected == actual) {
        return 1;
    }
    fail_prefix(line);
    UNIT_PUTS(what);
    UNIT_PUTS(" expected ");
    m0nn_unit_print_int(expected);
    UNIT_PUTS(" was ");
    m0nn_unit_print_int(actual);
    UNIT_PUTS("\n");
    return 0;
}

int m0nn_unit_eq_s8(const int8_t *expected, const int8_t *actual, int32_t n, int32_t line, const char *what)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (expected[i] != actual[i]) {
            fail_prefix(line);
            UNIT_PUTS(what);
            UNIT_PUTS(" differs at index ");
            m0nn_unit_print_int(i);
            UNIT_PUTS(": expected ");
            m0nn_unit_print_int(expected[i]);
            UNIT_PUTS(" was ");
            m0nn_unit_print_int(actual[i]);
            UNIT_PUTS("\n");
            return 0;
        }
    }
    return 1;
}

static void begin_case(const char *file, int32_t line, const char *name)
{
    current_file = file;
    current_name = name;
    current_line = line;
    current_failed = 0;
}

static void end_case(void)
{
    ++tests_run;
    if (current_failed) {
        ++tests_failed;
        return;
    }
    UNIT_PUTS(current_file);
    UNIT_PUTS(":");
    m0nn_unit_print_int(current_line);
    UNIT_PUTS(":");
    UNIT_PUTS(current_name);
    UNIT_PUTS(":PASS\n");
}

void m0nn_unit_run(void (*test)(void), const char *file, int32_t line, const char *name)
{
    begin_case(file, line, name);
    test();
    end_case();
}

void m0nn_unit_run_case(void (*test)(int32_t), int32_t index, const char *file, int32_t line, const char *name)
{
    begin_case(file, line, name);
    test(index);
    end_case();
}

int m0nn_unit_end(void)
{
    UNIT_PUTS("\n-----------------------\n");
    m0nn_unit_print_int(tests_run);
    UNIT_PUTS(" Tests ");
    m0nn_unit_print_int(tests_failed);
    UNIT_PUTS(" Failures 0 Ignored\n");
    UNIT_PUTS(tests_failed ? "FAIL\n" : "OK\n");
    return tests_failed ? 1 : 0;
}
