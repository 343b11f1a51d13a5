#include "m0nn_internal.h"

/* Where a tensor lives: the model input, the model output, or the arena. */
static int8_t *locate(int32_t at, int32_t size, const int8_t *input, int8_t *output, int8_t *arena, int32_t arena_size,
                      int32_t input_size, int32_t output_size)
{
    if (at == M0NN_AT_INPUT) {
        return size <= input_size ? (int8_t *)(uintptr_t)input : (int8_t *)0;
    }
    if (at == M0NN_AT_OUTPUT) {
        return size <= output_size ? output : (int8_t *)0;
    }
    if (at < 0 || size > arena_size || at > arena_size - size) {
        return (int8_t *)0;
    }
    return arena + at;
}

m0nn_status_t m0nn_graph_run_observed(const m0nn_graph_t *g, const int8_t *input, int8_t *output, void *arena,
                                      m0nn_observer_t observer, void *ctx)
{
    int32_t i;
    if (!g || !g->ops || !input || !output || (!arena && g->arena_size > 0)) {
        return M0NN_ERR_NULL;
    }
    if (g->n_kinds > 0 && !g->kinds) {
        return M0NN_ERR_NULL;
    }
    if (g->n_ops < 1 || g->arena_size < 0 || g->input_size < 1 || g->output_size < 1) {
        return M0NN_ERR_SIZE;
    }
    for (i = 0; i < g->n_ops; ++i) {
        const m0nn_op_t *op = &g->ops[i];
        const int8_t *a =
            locate(op->in0, op->in0_size, input, output, (int8_t *)arena, g->arena_size, g->input_size, g->output_size);
        const int8_t *b = op->in1 == M0NN_AT_NONE ? a
                                                  : locate(op->in1, op->in1_size, input, output, (int8_t *)arena,
                                                           g->arena_size, g->input_size, g->output_size);
        int8_t *out = op->out == M0NN_AT_INPUT ? (int8_t *)0
                                               : locate(op->out, op->out_size, input, output, (int8_t *)arena,
                                                        g->arena_size, g->input_size, g->output_size);
        m0nn_status_t status;
        if (!a || !b || !out || !op->params || op->kind < 0 || op->kind >= g->n_kinds || !g->kinds[op->kind]) {
            return M0NN_ERR_SIZE;
        }
        status = g->kinds[op->kind](op->params, a, b, out);
        if (status != M0NN_OK) {
            return status;
        }
        if (observer) {
            observer(ctx, i, out, op->out_size);
        }
    }
    return M0NN_OK;
}

m0nn_status_t m0nn_graph_run(const m0nn_graph_t *g, const int8_t *input, int8_t *output, void *arena)
{
    return m0nn_graph_run_observed(g, input, output, arena, (m0nn_observer_t)0, (void *)0);
}
