#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_conv_lanes_armv6m.S):
 * the same channel sums, read lane by lane, with the sums modulo 2^32 like the
 * assembly's S and H. Pairs of one input's words: (0, 2), (1, 3), (4, 6), (5, 7). */
#if !defined(__ARM_ARCH_6M__)

/* Where each channel's lane is: word (pair) and half (0 low, 1 high). */
static const uint8_t lane_word[8] = {0, 1, 0, 1, 2, 3, 2, 3};
static const uint8_t lane_high[8] = {0, 0, 1, 1, 0, 0, 1, 1};
/* The low channel of each pair in the order of their initial S/H in the
 * constants, and the channels in the order of their {multiplier, right}
 * (m0nn.graph.lanes INIT_ORDER, REQUANT_ORDER); [0]: 8 wide, [1]: 4 wide. */
static const uint8_t init_low[2][4] = {{1, 4, 0, 5}, {1, 0, 0, 0}};
static const uint8_t requant_row[2][8] = {{0, 2, 3, 1, 6, 4, 7, 5}, {0, 2, 3, 1, 0, 0, 0, 0}};

void m0nn_conv_lanes(const m0nn_conv_job_t *job)
{
    const int32_t pairs = job->width / 2;
    const int32_t narrow = job->width == 4 ? 1 : 0;
    const uint8_t *x = job->window;
    int8_t *out = job->output;
    int32_t n, r, i;
    for (n = 0; n < job->positions; ++n) {
        const uint32_t *w = job->weights;
        const int32_t *k = job->consts;
        uint32_t a[8];
        uint32_t total = 0;
        for (i = 0; i < pairs; ++i) { /* S = low + (high << 16), H = high */
            const int32_t lo = init_low[narrow][i];
            a[lo + 2] = (uint32_t)k[2 * i + 1];
            a[lo] = (uint32_t)k[2 * i] - (a[lo + 2] << 16);
        }
        for (i = 0; i < job->len; ++i) {
            total += x[i];
            for (r = 0; r < job->width; ++r) {
                const uint32_t v = w[lane_word[r]];
                const int32_t lane = lane_high[r] ? (int32_t)(int16_t)(v >> 16) : (int32_t)(v & 0xFFFFu);
                a[r] += x[i] * (uint32_t)lane;
            }
            w += pairs;
        }
        for (r = 0; r < job->width; ++r) {
            a[r] -= lane_high[r] ? 0u : 128u * total; /* the low channels' weights carry + 128 */
        }
        if (job->acc) {
            for (r = 0; r < job->width; ++r) {
                job->acc[r] = (int32_t)a[r];
            }
            return;
        }
        k += 2 * pairs;
        for (i = 0; i < job->width; ++i) {
            const int32_t row = requant_row[narrow][i];
            int32_t y = m0nn_requantize_mul32((int32_t)a[row], k[2 * i], k[2 * i + 1]) + job->offset_minus_min;
            y = y < 0 ? 0 : y > job->span ? job->span : y;
            out[row] = (int8_t)(y + job->act_min);
        }
        x += job->step;
        out += job->out_step;
    }
}
#endif
