"""Operator kinds of a graph model and the entry m0nn_graph_run calls for each
(lib/m0nn/src/m0nn_graph_ops.c). A generated header lists the entries its model
uses, so an image links only their kernels; m0nn.graph.code_size and
m0nn.graph.stack_size count those alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # m0nn.graph.ir needs numpy; HANDLER's readers (the pre-build's no-change path) must not
    from m0nn.graph.ir import Op

# In m0nn_op_kind_t's order (its value is the index): kind -> the m0nn_op_fn_t entry.
HANDLER = {
    "conv": "m0nn_op_conv",
    "dwconv": "m0nn_op_depthwise_conv",
    "fc": "m0nn_op_fc",
    "max": "m0nn_op_maxpool",
    "avg": "m0nn_op_avgpool",
    "add": "m0nn_op_add",
    "lut": "m0nn_op_lut",
    "softmax": "m0nn_op_softmax",
    "concat": "m0nn_op_concat",
    "transpose": "m0nn_op_transpose",
}


def kind_of(op: Op) -> str:
    """The operator's kind, a key of HANDLER."""
    from m0nn.graph.ir import AddOp, ConcatOp, ConvOp, FCOp, LutOp, PoolOp, SoftmaxOp, TransposeOp

    if isinstance(op, ConvOp):
        return "dwconv" if op.depth_multiplier else "conv"
    if isinstance(op, PoolOp):
        return "max" if op.mode == "max" else "avg"
    kinds: dict[type, str] = {
        FCOp: "fc", AddOp: "add", LutOp: "lut", SoftmaxOp: "softmax", ConcatOp: "concat", TransposeOp: "transpose",
    }  # fmt: skip
    return kinds[type(op)]
