#include "m0nn_internal.h"

/* m0nn_model_run for models whose layers all read int8 (no offset-binary
 * input conversion) and without an observer: the runner of kernel=small. */
m0nn_status_t m0nn_model_run_small(const m0nn_model_t *model, const int8_t *input, int8_t *output, void *arena)
{
    int8_t *const base = (int8_t *)arena;
    const m0nn_layer_t *layer;
    int32_t l;

    if (model == 0 || model->layers == 0 || input == 0 || output == 0) {
        return M0NN_ERR_NULL;
    }
    if (model->n_layers < 1 || model->arena_size < 0) {
        return M0NN_ERR_SIZE;
    }
    if (model->n_layers > 1 && base == 0) {
        return M0NN_ERR_NULL;
    }
    if (model->layers[0].input_u8) {
        return M0NN_ERR_OFFSET; /* offset-binary input: m0nn_model_run converts it, this runner does not */
    }
    /* The chain and the arena are checked once, before any layer runs. */
    for (l = 1; l < model->n_layers; ++l) {
        const int32_t a = model->layers[l - 1].params.out_size;
        if (model->layers[l].params.in_size != a || a < 0 || a > model->arena_size ||
            (l + 1 < model->n_layers && a + model->layers[l].params.out_size > model->arena_size)) {
            return M0NN_ERR_SIZE;
        }
    }
    for (l = 0, layer = model->layers; l < model->n_layers; ++l, ++layer) {
        int8_t *const y = l == model->n_layers - 1 ? output
                          : (l & 1) == 0           ? base
                                                   : base + (model->arena_size - layer->params.out_size);
        const m0nn_status_t status = layer->run != 0 ? layer->run(&layer->params, input, y) : M0NN_ERR_NULL;
        if (status != M0NN_OK) {
            return status;
        }
        input = y;
    }
    return M0NN_OK;
}
