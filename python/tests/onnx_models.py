"""Small QDQ graphs built with onnx.helper, for importer tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _init(name: str, arr: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(arr, name)


def matmul_clip_model(
    path: Path,
    act_dtype: type = np.int8,
    weight_dtype: type = np.int8,
    extra_op: str | None = None,
    scale_as_input: bool = False,
) -> Path:
    """input -> Q -> DQ -> Flatten -> MatMul(DQ(w)) -> Add(DQ(b)) -> Clip(0, 6) -> Q -> DQ -> output."""
    rng = np.random.default_rng(3)
    n_in, n_out = 12, 5
    w_q = rng.integers(-127, 128, size=(n_in, n_out)).astype(weight_dtype if weight_dtype == np.int8 else np.uint8)
    w_scale = rng.uniform(0.002, 0.01, n_out).astype(np.float32)
    s_in, zp_in = np.float32(0.02), np.array(3 if act_dtype == np.int8 else 131, dtype=act_dtype)
    b_q = rng.integers(-500, 500, size=n_out).astype(np.int32)
    s_out, zp_out = np.float32(0.03), np.array(-100 if act_dtype == np.int8 else 28, dtype=act_dtype)
    inits = [
        _init("s_in", s_in),
        _init("zp_in", zp_in),
        _init("w_q", w_q),
        _init("w_scale", w_scale),
        _init("w_zp", np.zeros(n_out, dtype=w_q.dtype)),
        _init("b_q", b_q),
        _init("b_scale", (s_in * w_scale).astype(np.float32)),
        _init("b_zp", np.zeros(n_out, dtype=np.int32)),
        _init("s_out", s_out),
        _init("zp_out", zp_out),
        _init("lo", np.array(0.0, dtype=np.float32)),
        _init("hi", np.array(6.0, dtype=np.float32)),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s_in", "zp_in"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "s_in", "zp_in"], ["xd"], name="dq_in"),
        helper.make_node("Flatten", ["xd"], ["xf"], name="flatten", axis=1),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], name="dq_w", axis=1),
        helper.make_node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["b"], name="dq_b", axis=0),
        helper.make_node("MatMul", ["xf", "w"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "b"], ["lin"], name="add"),
        helper.make_node("Clip", ["lin", "lo", "hi"], ["act"], name="clip"),
    ]
    last = "act"
    if extra_op:
        nodes.append(helper.make_node(extra_op, [last], ["extra"], name="extra_node"))
        last = "extra"
    nodes += [
        helper.make_node("QuantizeLinear", [last, "s_out", "zp_out"], ["yq"], name="q_out"),
        helper.make_node("DequantizeLinear", ["yq", "s_out", "zp_out"], ["output"], name="dq_out"),
    ]
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])]
    if scale_as_input:
        inits = [i for i in inits if i.name != "s_out"]
        inputs.append(helper.make_tensor_value_info("s_out", TensorProto.FLOAT, []))
    graph = helper.make_graph(
        nodes, "m", inputs, [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", n_out])], inits
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path
