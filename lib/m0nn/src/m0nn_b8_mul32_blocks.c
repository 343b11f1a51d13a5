#include "m0nn_internal.h"

/* Portable versions for every target but ARMv6-M (m0nn_b8_mul32_blocks_armv6m.S);
 * one per layout, like the assembly. */
#if !defined(__ARM_ARCH_6M__)
static void m0nn_b8_blocks(m0nn_b8_job_t *job, int32_t wide)
{
    while (job->n_blocks > 0) {
        int32_t acc[8];
        if (job->rows > 4) {
            (wide ? m0nn_b8w_dot8 : m0nn_b8_dot8)(job->input, job->weights, job->in_size, acc);
        } else {
            (wide ? m0nn_b8w_dot4 : m0nn_b8_dot4)(job->input, job->weights, job->in_size, acc);
        }
        job->weights += M0NN_B8_STRIDE(job->rows) * job->in_size * (wide ? 2 : 1);
        m0nn_b8_job_block_done(job, acc, job->correction);
    }
}

/* The pairs layout (m0nn_internal.h, m0nn_armv6m_pairs.inc): the row sums of
 * one block from the staged words X_p, with the assembly's extraction of the
 * high lane of R = X_p W_p: ASRS #16 (the sign-extended high half) plus the
 * carry (bit 15), all modulo 2^32. */
static void m0nn_b8p_dot(const uint32_t *x, int32_t pairs, const uint8_t *w, int32_t rows, int32_t *acc)
{
    int32_t g;
    for (g = 0; g < (rows > 4 ? 2 : 1); ++g) {
        uint32_t sum[4] = {0, 0, 0, 0};
        int32_t p;
        int32_t r;
        for (p = 0; p < pairs; ++p) {
            for (r = 0; r < 4; ++r) {
                const uint8_t *b = w + 4 * r;
                const uint32_t r32 =
                    x[p] * ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
                sum[r] += (((r32 >> 16) ^ 0x8000u) - 0x8000u) + ((r32 >> 15) & 1u);
            }
            w += 16;
        }
        for (r = 0; r < 4; ++r) {
            acc[4 * g + r] = (int32_t)sum[r];
        }
    }
}

void m0nn_b8p_mul32_blocks(m0nn_b8_job_t *job)
{
    uint32_t x[M0NN_B8P_MAX_IN / 2];
    const int32_t pairs = (job->in_size + 1) >> 1;
    int32_t i;
    int32_t p = 0;
    /* the pair order of m0nn_internal.h: (4g, 4g + 2), (4g + 1, 4g + 3), then
     * consecutive pairs for the last in_size mod 4 inputs */
    for (i = 0; i + 4 <= job->in_size; i += 4) {
        x[p++] = ((uint32_t)job->input[i] - 128u) + (((uint32_t)job->input[i + 2] - 128u) << 16);
        x[p++] = ((uint32_t)job->input[i + 1] - 128u) + (((uint32_t)job->input[i + 3] - 128u) << 16);
    }
    for (; i < job->in_size; i += 2) {
        const uint32_t hi = i + 1 < job->in_size ? (uint32_t)job->input[i + 1] - 128u : 0u;
        x[p++] = ((uint32_t)job->input[i] - 128u) + (hi << 16);
    }
    {
        /* R = n_blocks * rows outputs in groups of 4 rows, as the assembly's
         * passes: a last group of R mod 4 rows reads only its own biases; the
         * job's rows, n_blocks and bias_step are left as they were */
        const int32_t rows = job->rows;
        const int32_t n_blocks = job->n_blocks;
        const int32_t bias_step = job->bias_step;
        int32_t left = n_blocks * rows;
        while (left > 0) {
            int32_t acc[8];
            job->rows = left < 4 ? left : 4;
            job->bias_step = 4 * job->rows;
            job->n_blocks = 1;
            m0nn_b8p_dot(x, pairs, job->weights, 4, acc);
            job->weights += 16 * pairs;
            left -= job->rows;
            m0nn_b8_job_block_done(job, acc, 0);
        }
        job->rows = rows;
        job->n_blocks = n_blocks;
        job->bias_step = bias_step;
    }
}

void m0nn_b8_mul32_blocks(m0nn_b8_job_t *job)
{
    m0nn_b8_blocks(job, 0);
}

void m0nn_b8w_mul32_blocks(m0nn_b8_job_t *job)
{
    m0nn_b8_blocks(job, 1);
}
#endif
