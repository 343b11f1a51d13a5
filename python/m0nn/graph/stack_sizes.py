"""Stack frames of lib/m0nn on Cortex-M0 (arm-none-eabi-gcc -O2 -fstack-usage, the m0_qemu build)
and who calls whom, for the functions m0nn_graph_run reaches.
Written by `python -m m0nn.graph.stack_size --write` (see m0nn.graph.stack_size); do not edit.
"""

FRAMES = {
    "__aeabi_lmul": 28,
    "conv_lanes": 888,
    "depthwise_3x3": 928,
    "depthwise_planes": 824,
    "fill_columns": 72,
    "m0nn_add_s8": 72,
    "m0nn_avgpool_s8": 104,
    "m0nn_concat_s8": 20,
    "m0nn_conv_lanes": 100,
    "m0nn_conv_s8": 120,
    "m0nn_conv_s8_check": 32,
    "m0nn_depthwise_conv_s8": 280,
    "m0nn_dw1x3_sums": 28,
    "m0nn_dw3x3_pairs": 40,
    "m0nn_dw3x3_sums": 52,
    "m0nn_dw_pack": 44,
    "m0nn_dw_requant_mul32": 56,
    "m0nn_fc_s8": 56,
    "m0nn_fc_s8_check": 24,
    "m0nn_graph_run": 16,
    "m0nn_graph_run_observed": 56,
    "m0nn_lut_s8": 12,
    "m0nn_maxpool_s8": 80,
    "m0nn_mul32_tables_bad": 20,
    "m0nn_pool_s8_check": 20,
    "m0nn_softmax_s8": 64,
    "m0nn_to_offset_binary": 20,
    "m0nn_transpose_s8": 20,
}

CALLS = {
    "conv_lanes": (
        "__aeabi_lmul",
        "fill_columns",
        "m0nn_conv_lanes",
        "m0nn_to_offset_binary",
    ),
    "depthwise_3x3": (
        "__aeabi_lmul",
        "m0nn_dw1x3_sums",
        "m0nn_dw3x3_sums",
        "m0nn_dw_pack",
        "m0nn_dw_requant_mul32",
    ),
    "depthwise_planes": (
        "__aeabi_lmul",
        "m0nn_dw3x3_pairs",
    ),
    "m0nn_add_s8": ("__aeabi_lmul",),
    "m0nn_avgpool_s8": (
        "__aeabi_lmul",
        "m0nn_pool_s8_check",
    ),
    "m0nn_conv_s8": (
        "__aeabi_lmul",
        "conv_lanes",
        "m0nn_conv_s8_check",
    ),
    "m0nn_conv_s8_check": ("m0nn_mul32_tables_bad",),
    "m0nn_depthwise_conv_s8": (
        "__aeabi_lmul",
        "depthwise_3x3",
        "depthwise_planes",
        "m0nn_conv_s8_check",
    ),
    "m0nn_fc_s8": (
        "__aeabi_lmul",
        "m0nn_fc_s8_check",
    ),
    "m0nn_fc_s8_check": ("m0nn_mul32_tables_bad",),
    "m0nn_graph_run": ("m0nn_graph_run_observed",),
    "m0nn_graph_run_observed": (
        "m0nn_add_s8",
        "m0nn_avgpool_s8",
        "m0nn_concat_s8",
        "m0nn_conv_s8",
        "m0nn_depthwise_conv_s8",
        "m0nn_fc_s8",
        "m0nn_lut_s8",
        "m0nn_maxpool_s8",
        "m0nn_softmax_s8",
        "m0nn_transpose_s8",
    ),
    "m0nn_maxpool_s8": ("m0nn_pool_s8_check",),
}
