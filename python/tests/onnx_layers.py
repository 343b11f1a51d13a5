"""One QDQ Gemm layer with every quantization parameter given, for the numeric
edge cases of issue 13 (built with onnx.helper, like onnx_models.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def gemm_layer_model(
    path: Path,
    w_q: np.ndarray,  # [out, in], int8 or uint8
    w_scale: float | np.ndarray,
    s_in: float,
    s_out: float,
    zp_in: int = 0,
    zp_out: int = 0,
    w_zp: int | np.ndarray = 0,
    b_q: np.ndarray | None = None,
    b_zp: int | np.ndarray = 0,
    relu: bool = False,
) -> Path:
    """input -> Q -> DQ -> Gemm(DQ(w), DQ(b), transB=1) [-> Relu] -> Q -> DQ -> output."""
    n_out, n_in = w_q.shape
    per_channel = np.ndim(w_scale) > 0
    w_scale_arr = np.asarray(w_scale, np.float32)
    w_zp_arr = np.broadcast_to(np.asarray(w_zp), w_scale_arr.shape).astype(w_q.dtype)
    inits = [
        numpy_helper.from_array(np.array(s_in, np.float32), "s_in"),
        numpy_helper.from_array(np.array(zp_in, np.int8), "zp_in"),
        numpy_helper.from_array(w_q, "w_q"),
        numpy_helper.from_array(w_scale_arr, "w_scale"),
        numpy_helper.from_array(np.array(w_zp_arr), "w_zp"),
        numpy_helper.from_array(np.array(s_out, np.float32), "s_out"),
        numpy_helper.from_array(np.array(zp_out, np.int8), "zp_out"),
    ]
    w_axis = {"axis": 0} if per_channel else {}
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s_in", "zp_in"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "s_in", "zp_in"], ["xd"], name="dq_in"),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], name="dq_w", **w_axis),
    ]
    gemm_inputs = ["xd", "w"]
    if b_q is not None:
        b_scale = (np.float32(s_in) * np.broadcast_to(w_scale_arr, (n_out,))).astype(np.float32)
        inits += [
            numpy_helper.from_array(b_q.astype(np.int32), "b_q"),
            numpy_helper.from_array(b_scale, "b_scale"),
            numpy_helper.from_array(np.broadcast_to(np.asarray(b_zp), (n_out,)).astype(np.int32), "b_zp"),
        ]
        nodes.append(helper.make_node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["b"], name="dq_b", axis=0))
        gemm_inputs.append("b")
    nodes.append(helper.make_node("Gemm", gemm_inputs, ["lin"], name="gemm", transB=1))
    last = "lin"
    if relu:
        nodes.append(helper.make_node("Relu", ["lin"], ["act"], name="relu"))
        last = "act"
    nodes += [
        helper.make_node("QuantizeLinear", [last, "s_out", "zp_out"], ["yq"], name="q_out"),
        helper.make_node("DequantizeLinear", ["yq", "s_out", "zp_out"], ["output"], name="dq_out"),
    ]
    graph = helper.make_graph(
        nodes,
        "layer",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", n_out])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path
