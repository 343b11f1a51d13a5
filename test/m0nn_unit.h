/* A minimal unit-test harness that prints Unity's result format, so PlatformIO's
 * test runner reports every case, on the host and on the emulated Cortex-M0
 * (where it writes over semihosting). No printf, no float: it runs on ARMv6-M. */
#ifndef M0NN_UNIT_H
#define M0NN_UNIT_H

#include <stdint.h>

void m0nn_unit_run(void (*test)(void), const char *file, int32_t line, const char *name);
/* Runs test(index) as its own case named `name` (test cases as data). */
void m0nn_unit_run_case(void (*test)(int32_t), int32_t index, const char *file, int32_t line, const char *name);
/* Prints the summary and returns the process exit status (0: all passed). */
int m0nn_unit_end(void);
void m0nn_unit_print(const char *s);
void m0nn_unit_print_int(int32_t v);

/* Each returns 1 when equal; otherwise records the failure of the running test. */
int m0nn_unit_eq_int(int32_t expected, int32_t actual, int32_t line, const char *what);
int m0nn_unit_eq_s8(const int8_t *expected, const int8_t *actual, int32_t n, int32_t line, const char *what);

#define M0NN_RUN_TEST(fn) m0nn_unit_run(fn, __FILE__, __LINE__, #fn)

#define M0NN_ASSERT_EQ_INT(expected, actual)                                                                           \
    do {                                                                                                               \
        if (!m0nn_unit_eq_int((int32_t)(expected), (int32_t)(actual), __LINE__, #actual)) {                            \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

/* Compares n int8 values; a mismatch names the first differing index. */
#define M0NN_ASSERT_EQ_S8(expected, actual, n)                                                                         \
    do {                                                                                                               \
        if (!m0nn_unit_eq_s8((expected), (actual), (n), __LINE__, #actual)) {                                          \
            return;                                                                                                    \
        }                                                                                                              \
    } while (0)

#endif
