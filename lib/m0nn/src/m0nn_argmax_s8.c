#include "m0nn_internal.h"

int32_t m0nn_argmax_s8(const int8_t *values, int32_t n)
{
    int32_t best = 0;
    int32_t i;

    if (values == 0 || n < 1) {
        return -1;
    }
    for (i = 1; i < n; ++i) {
        if (values[i] > values[best]) {
            best = i;
        }
    }
    return best;
}
