"""Code and struct sizes of lib/m0nn on Cortex-M0 (arm-none-eabi-gcc -O2, the m0_qemu build):
the sections an image calling m0nn_graph_run links (with every operator kind; with none: RUNNER;
what each kind adds: KINDS), and sizeof each parameter struct.
Written by `python -m m0nn.graph.code_size --write` (see m0nn.graph.code_size); do not edit.
"""

FUNCTIONS = {
    "libgcc.a(_muldi3.o):.text": 92,
    "m0nn_add_s8.o:.text.m0nn_add_s8": 644,
    "m0nn_avgpool_s8.o:.text.m0nn_avgpool_s8": 636,
    "m0nn_concat_s8.o:.text.m0nn_concat_s8": 132,
    "m0nn_conv_check.o:.text.m0nn_conv_s8_check": 404,
    "m0nn_conv_lanes_armv6m.o:.text.m0nn_conv_lanes": 2208,
    "m0nn_conv_s8.o:.text.conv_lanes": 1180,
    "m0nn_conv_s8.o:.text.fill_columns": 744,
    "m0nn_conv_s8.o:.text.m0nn_conv_s8": 736,
    "m0nn_depthwise_conv_s8.o:.text.depthwise_3x3": 1236,
    "m0nn_depthwise_conv_s8.o:.text.depthwise_planes": 1616,
    "m0nn_depthwise_conv_s8.o:.text.m0nn_depthwise_conv_s8": 1768,
    "m0nn_dw3x3_channels_armv6m.o:.text.m0nn_dw3x3_channels": 2152,
    "m0nn_dw3x3_pairs_armv6m.o:.text.m0nn_dw3x3_pairs": 216,
    "m0nn_fc_s8.o:.text.m0nn_fc_s8": 456,
    "m0nn_fc_s8_check.o:.text.m0nn_fc_s8_check": 268,
    "m0nn_graph_ops.o:.text.m0nn_op_add": 8,
    "m0nn_graph_ops.o:.text.m0nn_op_avgpool": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_concat": 8,
    "m0nn_graph_ops.o:.text.m0nn_op_conv": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_depthwise_conv": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_fc": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_lut": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_maxpool": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_softmax": 12,
    "m0nn_graph_ops.o:.text.m0nn_op_transpose": 12,
    "m0nn_graph_run.o:.text.m0nn_graph_run": 20,
    "m0nn_graph_run.o:.text.m0nn_graph_run_observed": 460,
    "m0nn_lut_s8.o:.text.m0nn_lut_s8": 80,
    "m0nn_maxpool_s8.o:.text.m0nn_maxpool_s8": 380,
    "m0nn_model_run.o:.text.m0nn_to_offset_binary": 80,
    "m0nn_mul32_tables_armv6m.o:.text": 80,
    "m0nn_pool_check.o:.text.m0nn_pool_s8_check": 232,
    "m0nn_softmax_s8.o:.text.m0nn_softmax_s8": 420,
    "m0nn_transpose_s8.o:.text.m0nn_transpose_s8": 96,
}

RUNNER = (
    "m0nn_graph_run.o:.text.m0nn_graph_run",
    "m0nn_graph_run.o:.text.m0nn_graph_run_observed",
)

KINDS = {
    "conv": (
        "libgcc.a(_muldi3.o):.text",
        "m0nn_conv_check.o:.text.m0nn_conv_s8_check",
        "m0nn_conv_lanes_armv6m.o:.text.m0nn_conv_lanes",
        "m0nn_conv_s8.o:.text.conv_lanes",
        "m0nn_conv_s8.o:.text.fill_columns",
        "m0nn_conv_s8.o:.text.m0nn_conv_s8",
        "m0nn_graph_ops.o:.text.m0nn_op_conv",
        "m0nn_model_run.o:.text.m0nn_to_offset_binary",
        "m0nn_mul32_tables_armv6m.o:.text",
    ),
    "dwconv": (
        "libgcc.a(_muldi3.o):.text",
        "m0nn_conv_check.o:.text.m0nn_conv_s8_check",
        "m0nn_depthwise_conv_s8.o:.text.depthwise_3x3",
        "m0nn_depthwise_conv_s8.o:.text.depthwise_planes",
        "m0nn_depthwise_conv_s8.o:.text.m0nn_depthwise_conv_s8",
        "m0nn_dw3x3_channels_armv6m.o:.text.m0nn_dw3x3_channels",
        "m0nn_dw3x3_pairs_armv6m.o:.text.m0nn_dw3x3_pairs",
        "m0nn_graph_ops.o:.text.m0nn_op_depthwise_conv",
        "m0nn_mul32_tables_armv6m.o:.text",
    ),
    "fc": (
        "libgcc.a(_muldi3.o):.text",
        "m0nn_fc_s8.o:.text.m0nn_fc_s8",
        "m0nn_fc_s8_check.o:.text.m0nn_fc_s8_check",
        "m0nn_graph_ops.o:.text.m0nn_op_fc",
        "m0nn_mul32_tables_armv6m.o:.text",
    ),
    "max": (
        "m0nn_graph_ops.o:.text.m0nn_op_maxpool",
        "m0nn_maxpool_s8.o:.text.m0nn_maxpool_s8",
        "m0nn_pool_check.o:.text.m0nn_pool_s8_check",
    ),
    "avg": (
        "libgcc.a(_muldi3.o):.text",
        "m0nn_avgpool_s8.o:.text.m0nn_avgpool_s8",
        "m0nn_graph_ops.o:.text.m0nn_op_avgpool",
        "m0nn_pool_check.o:.text.m0nn_pool_s8_check",
    ),
    "add": (
        "libgcc.a(_muldi3.o):.text",
        "m0nn_add_s8.o:.text.m0nn_add_s8",
        "m0nn_graph_ops.o:.text.m0nn_op_add",
    ),
    "lut": (
        "m0nn_graph_ops.o:.text.m0nn_op_lut",
        "m0nn_lut_s8.o:.text.m0nn_lut_s8",
    ),
    "softmax": (
        "m0nn_graph_ops.o:.text.m0nn_op_softmax",
        "m0nn_softmax_s8.o:.text.m0nn_softmax_s8",
    ),
    "concat": (
        "m0nn_concat_s8.o:.text.m0nn_concat_s8",
        "m0nn_graph_ops.o:.text.m0nn_op_concat",
    ),
    "transpose": (
        "m0nn_graph_ops.o:.text.m0nn_op_transpose",
        "m0nn_transpose_s8.o:.text.m0nn_transpose_s8",
    ),
}

TYPES = {
    "m0nn_add_s8_params_t": 48,
    "m0nn_concat_s8_params_t": 12,
    "m0nn_conv_s8_params_t": 104,
    "m0nn_dequantize_params_t": 12,
    "m0nn_fc_s8_params_t": 52,
    "m0nn_graph_t": 28,
    "m0nn_layer_t": 60,
    "m0nn_lut_s8_params_t": 8,
    "m0nn_model_t": 12,
    "m0nn_op_t": 32,
    "m0nn_pool_s8_params_t": 76,
    "m0nn_quantize_params_t": 36,
    "m0nn_softmax_s8_params_t": 24,
    "m0nn_transpose_s8_params_t": 8,
}
