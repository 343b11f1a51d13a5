#include <stddef.h>

#include "m0nn_internal.h"

/* Where a tensor of n bytes (0 <= n <= size) at the end of an arena of size
 * bytes starts: size - n rounded down to a multiple of 4, so that with a
 * 4-byte aligned arena every layer's input is word-aligned (the pairs kernel
 * stages it by word). */
#define M0NN_AT_END(size, n) (((size) - (n)) & ~(int32_t)3)
/* n bytes rounded up to whole words, unsigned (a negative out_size is refused
 * where its own layer's is checked; a sum of two wraps only for sizes above
 * 2^31 - 4, which no kernel accepts: M0NN_MAX_SIZE). */
#define M0NN_WORDS(n) (((uint32_t)(n) + 3u) & ~3u)

/* The runner, inline in both entries with a constant observer: m0nn_model_run
 * (NULL) has no observer code and no call through a second function. */
static inline M0NN_ALWAYS_INLINE m0nn_status_t m0nn_model_body(const m0nn_model_t *model, const int8_t *input,
                                                               int8_t *output, void *arena, m0nn_observer_t observer,
                                                               void *ctx)
{
    int8_t *const base = (int8_t *)arena;
    const m0nn_layer_t *first;
    const m0nn_layer_t *last;
    const m0nn_layer_t *layer;
    const int8_t *x = input;
    int32_t size;
    int32_t odd = 0;

    if (model == 0 || model->layers == 0 || input == 0 || output == 0) {
        return M0NN_ERR_NULL;
    }
    first = model->layers;
    size = model->arena_size;
    if (model->n_layers < 1 || size < 0) {
        return M0NN_ERR_SIZE;
    }
    last = first + (model->n_layers - 1);
    if ((last != first || first->input_u8) && base == 0) {
        return M0NN_ERR_NULL;
    }
    /* The chain and the arena are checked once, before any layer runs: each
     * two tensors held at once, rounded up to 4 bytes, fit, so a tensor at the
     * end starting at a multiple of 4 (M0NN_AT_END) is clear of the one at the
     * start. */
    for (layer = first; layer != last; ++layer) {
        const int32_t a = layer->params.out_size;
        if (layer[1].params.in_size != a || a < 0 || a > size) {
            return M0NN_ERR_SIZE;
        }
        if (layer + 1 != last && M0NN_WORDS(a) + M0NN_WORDS(layer[1].params.out_size) > (uint32_t)size) {
            return M0NN_ERR_SIZE;
        }
    }
    if (first->input_u8) {
        /* The first layer reads offset-binary input: convert the model's input
         * into the end of the arena, clear of the first layer's output at its start. */
        const int32_t n = first->params.in_size;
        const uint32_t held = M0NN_WORDS(n) + (last != first ? M0NN_WORDS(first->params.out_size) : 0u);
        if (n < 1 || held > (uint32_t)size) {
            return M0NN_ERR_SIZE;
        }
        x = base + M0NN_AT_END(size, n);
        m0nn_to_offset_binary(input, (uint8_t *)x, n);
    }
    /* even layers write at the arena's start, odd ones at its end; the last
     * one, out of the loop, to output (a one-layer model keeps nothing live
     * across its call) */
    for (layer = first; layer != last; ++layer) {
        int8_t *const y = odd ? base + M0NN_AT_END(size, layer->params.out_size) : base;
        m0nn_status_t status;
        if (layer->run == NULL) {
            return M0NN_ERR_NULL;
        }
        status = layer->run(&layer->params, x, y);
        if (status != M0NN_OK) {
            return status;
        }
        if (observer != NULL) {
            observer(ctx, (int32_t)(layer - first), y, layer->params.out_size);
        }
        x = y;
        odd ^= 1;
    }
    if (last->run == NULL) {
        return M0NN_ERR_NULL;
    }
    if (observer != NULL) {
        const m0nn_status_t status = last->run(&last->params, x, output);
        if (status == M0NN_OK) {
            observer(ctx, (int32_t)(last - first), output, last->params.out_size);
        }
        return status;
    }
    return last->run(&last->params, x, output);
}

m0nn_status_t m0nn_model_run_observed(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena,
                                      m0nn_observer_t observer, void *ctx)
{
    return m0nn_model_body(model, input, output, arena, observer, ctx);
}

m0nn_status_t m0nn_model_run(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena)
{
    return m0nn_model_body(model, input, output, arena, NULL, NULL);
}

/* ARMv6-M assembly in m0nn_to_offset_binary_armv6m.S (16 bytes per LDM/STM pass). */
#if !defined(__ARM_ARCH_6M__)
void m0nn_to_offset_binary(const int8_t *in, uint8_t *out, int32_t n)
{
    int32_t i = 0;
#if defined(__GNUC__) || defined(__clang__)
    typedef uint32_t __attribute__((may_alias)) word_t;
    if ((((uintptr_t)in | (uintptr_t)out) & 3u) == 0) {
        /* By word where both are aligned: flip the sign bits of 4 bytes at once. */
        for (; i + 4 <= n; i += 4) {
            *(word_t *)(void *)(out + i) = *(const word_t *)(const void *)(in + i) ^ 0x80808080u;
        }
    }
#endif
    for (; i < n; ++i) {
        out[i] = (uint8_t)((uint8_t)in[i] ^ 0x80u);
    }
}
#endif
