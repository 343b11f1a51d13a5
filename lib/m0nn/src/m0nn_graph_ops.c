#include "m0nn.h"

/* m0nn_graph_run's entry for each operator kind (m0nn_op_fn_t): one section each, so
 * an image links the kernels of the kinds its model's table names and no others. */

m0nn_status_t m0nn_op_conv(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_conv_s8((const m0nn_conv_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_depthwise_conv(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_depthwise_conv_s8((const m0nn_conv_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_fc(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_fc_s8((const m0nn_fc_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_maxpool(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_maxpool_s8((const m0nn_pool_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_avgpool(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_avgpool_s8((const m0nn_pool_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_add(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    return m0nn_add_s8((const m0nn_add_s8_params_t *)params, a, b, out);
}

m0nn_status_t m0nn_op_lut(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_lut_s8((const m0nn_lut_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_softmax(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_softmax_s8((const m0nn_softmax_s8_params_t *)params, a, out);
}

m0nn_status_t m0nn_op_concat(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    return m0nn_concat_s8((const m0nn_concat_s8_params_t *)params, a, b, out);
}

m0nn_status_t m0nn_op_transpose(const void *params, const int8_t *a, const int8_t *b, int8_t *out)
{
    (void)b;
    return m0nn_transpose_s8((const m0nn_transpose_s8_params_t *)params, a, out);
}
