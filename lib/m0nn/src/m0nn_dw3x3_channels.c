#include "m0nn_internal.h"

/* Portable version for every target but ARMv6-M (m0nn_dw3x3_channels_armv6m.S):
 * the same words, sums and requantization, modulo 2^32 as the assembly's; the
 * arithmetic shifts of negative values are spelled out (C99 leaves them to the
 * implementation). */
#if !defined(__ARM_ARCH_6M__)
static uint32_t dw_asr(uint32_t v, int32_t k)
{
    return (v >> k) | ((v & 0x80000000u) ? ~(0xffffffffu >> k) : 0u);
}

static void dw_pack(m0nn_dw_job_t *job)
{
    int32_t r, k;
    for (r = 0; r < job->pk_rows; ++r) {
        uint32_t *o = job->pk_plane + r * M0NN_DW_ROW;
        const int8_t *x = job->x + r * job->row_in;
        uint32_t lo = job->pad_lo;
        for (k = 0; k < job->n; ++k) {
            const int32_t v = x[k * job->step];
            *o++ = lo + ((uint32_t)v << 16);
            lo = (uint32_t)(v + 129);
        }
        if (job->tail) {
            *o = lo + job->pad_hi;
        }
    }
    job->x += 1;
}

static void dw_sums(m0nn_dw_job_t *job)
{
    const int32_t kernel_h = job->kernel_h;
    int32_t r, i, ky, kx;
    for (r = 0; r < job->rows; ++r) {
        uint32_t *q = (uint32_t *)(void *)((uint8_t *)job->plane + r * job->row_step);
        for (i = 0; i < job->pairs; ++i, q += 2) {
            uint32_t s = 0, h = 0;
            for (ky = 0; ky < kernel_h; ++ky) {
                for (kx = 0; kx < 3; ++kx) {
                    const int32_t k = 3 * ky + kx;
                    const int32_t w = (int32_t)((job->weights[k >> 2] >> (8 * (k & 3)) & 0xffu) ^ 0x80u) - 0x80;
                    const uint32_t p = q[ky * M0NN_DW_ROW + kx] * (uint32_t)w;
                    s += p;
                    h += dw_asr(p, 16);
                }
            }
            q[0] = s;
            q[1] = h;
        }
    }
    job->weights += kernel_h == 1 ? 1 : 3;
    job->dirty = 1;
}

static int8_t dw_mul32_clamp(const m0nn_dw_job_t *job, int32_t m, int32_t right, uint32_t a, uint32_t c)
{
    const int32_t y = (int32_t)dw_asr(a * (uint32_t)m + c, right);
    int32_t t = y + job->d;
    t = t < 0 ? 0 : t > job->span ? job->span : t;
    return (int8_t)(t + job->lo);
}

static void dw_requant(m0nn_dw_job_t *job)
{
    const int32_t m = *job->mult, right = -*job->shift;
    const uint32_t round = 1u << (right - 1);
    const uint32_t c0 = (uint32_t)job->consts[0] * (uint32_t)m + round;
    const uint32_t c1 = (uint32_t)job->consts[1] * (uint32_t)m + round;
    int8_t *out = job->out;
    int32_t r, i;
    for (r = 0; r < job->rows; ++r) {
        const uint32_t *s = (const uint32_t *)(const void *)((const uint8_t *)job->plane + r * job->row_step);
        for (i = 0; i < job->pairs; ++i, s += 2) {
            *out = dw_mul32_clamp(job, m, right, s[0] - (s[1] << 16), c0);
            out += job->out_step;
            if (i + 1 < job->pairs || !job->odd) {
                *out = dw_mul32_clamp(job, m, right, s[1], c1);
                out += job->out_step;
            }
        }
        out += job->out_skip;
    }
    job->consts += 2;
    job->mult += 1;
    job->shift += 1;
    job->out += 1;
}

void m0nn_dw3x3_channels(m0nn_dw_job_t *job)
{
    const uint32_t pad = job->pad_lo + job->pad_hi;
    for (; job->channels > 0; --job->channels) {
        uint32_t bits = job->fill;
        int32_t r, k;
        for (r = 0; job->dirty && bits; ++r, bits >>= 1) {
            for (k = 0; (bits & 1u) && k < 2 * job->pairs; ++k) {
                job->plane[r * M0NN_DW_ROW + k] = pad;
            }
        }
        if (job->pk_rows > 0) {
            dw_pack(job);
        }
        dw_sums(job);
        if (job->requant) {
            dw_requant(job);
        }
    }
}
#endif
