#include <stddef.h>

#include "m0nn_internal.h"

m0nn_status_t m0nn_model_run_observed(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena,
                                      m0nn_observer_t observer, void *ctx)
{
    int8_t *const base = (int8_t *)arena;
    const int8_t *x = input;
    int32_t l;

    if (model == 0 || model->layers == 0 || input == 0 || output == 0) {
        return M0NN_ERR_NULL;
    }
    if (model->n_layers < 1 || model->arena_size < 0) {
        return M0NN_ERR_SIZE;
    }
    if ((model->n_layers > 1 || model->layers[0].input_u8) && base == 0) {
        return M0NN_ERR_NULL;
    }
    /* The chain and the arena are checked once, before any layer runs. */
    for (l = 1; l < model->n_layers; ++l) {
        const int32_t a = model->layers[l - 1].params.out_size;
        if (model->layers[l].params.in_size != a || a < 0 || a > model->arena_size) {
            return M0NN_ERR_SIZE;
        }
        if (l + 1 < model->n_layers && a + model->layers[l].params.out_size > model->arena_size) {
            return M0NN_ERR_SIZE;
        }
    }
    if (model->layers[0].input_u8) {
        /* The first layer reads offset-binary input: convert the model's input
         * into the end of the arena, clear of the first layer's output at its start. */
        const int32_t n = model->layers[0].params.in_size;
        const int32_t held = n + (model->n_layers > 1 ? model->layers[0].params.out_size : 0);
        if (n < 1 || held > model->arena_size) {
            return M0NN_ERR_SIZE;
        }
        m0nn_to_offset_binary(input, (uint8_t *)base + (model->arena_size - n), n);
        x = base + (model->arena_size - n);
    }
    for (l = 0; l < model->n_layers; ++l) {
        const m0nn_layer_t *layer = &model->layers[l];
        const m0nn_fc_s8_params_t *p = &layer->params;
        int8_t *y;
        m0nn_status_t status;
        if (l == model->n_layers - 1) {
            y = output;
        } else if ((l & 1) == 0) {
            y = base;
        } else {
            y = base + (model->arena_size - p->out_size);
        }
        if (layer->run == NULL) {
            return M0NN_ERR_NULL;
        }
        status = layer->run(p, x, y);
        if (status != M0NN_OK) {
            return status;
        }
        if (observer != NULL) {
            observer(ctx, l, y, p->out_size);
        }
        x = y;
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_model_run(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena)
{
    return m0nn_model_run_observed(model, input, output, arena, NULL, NULL);
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
