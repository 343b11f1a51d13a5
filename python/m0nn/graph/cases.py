"""Small float graphs of every graph operator, and their QDQ forms: quantized
by onnxruntime's quantize_static (QDQ, per-channel int8 weights) or, for the
table activations and softmax, with QuantizeLinear/DequantizeLinear written
around the operator directly. The C golden tests and the onnxruntime
comparisons use them (building them needs onnxruntime)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

F32 = NDArray[np.float32]
Node = onnx.NodeProto


class _G:
    """A float graph under construction."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Node] = []
        self.inits: list[onnx.TensorProto] = []
        self.n = 0

    def name(self, p: str) -> str:
        self.n += 1
        return f"{p}{self.n}"

    def const(self, arr: object, p: str = "c") -> str:
        n = self.name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(self, op: str, ins: list[str], **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def conv(self, x: str, c_in: int, c_out: int, k: list[int], group: int = 1, **attrs: Any) -> str:
        fan = c_in // group * int(np.prod(k))
        w = self.rng.normal(0, 1.0 / np.sqrt(fan), (c_out, c_in // group, *k)).astype(np.float32)
        b = self.rng.normal(0, 0.1, c_out).astype(np.float32)
        return self.op("Conv", [x, self.const(w, "w"), self.const(b, "b")], group=group, **attrs)

    def gemm(self, x: str, n_in: int, n_out: int) -> str:
        w = self.rng.normal(0, 1.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        b = self.rng.normal(0, 0.1, n_out).astype(np.float32)
        return self.op("Gemm", [x, self.const(w, "w"), self.const(b, "b")], transB=1)

    def model(self, shape: list[int], out: str) -> onnx.ModelProto:
        g = helper.make_graph(
            self.nodes,
            "case",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *shape])],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", "out"])],
            self.inits,
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)], producer_name="m0nn.graph.cases")
        m.ir_version = 8
        return m


def _conv1d(g: _G) -> tuple[list[int], str]:
    y = g.op("Relu", [g.conv("input", 3, 8, [5], pads=[2, 2])])
    return [3, 32], y


def _conv1d_edges(g: _G) -> tuple[list[int], str]:
    y = g.conv("input", 4, 6, [3], strides=[2], dilations=[2], pads=[1, 3])
    return [4, 19], g.op("AveragePool", [y], kernel_shape=[3], strides=[2], pads=[1, 0])


def _conv2d(g: _G) -> tuple[list[int], str]:
    y = g.conv("input", 2, 5, [3, 3], strides=[2, 1], pads=[1, 0, 2, 1])
    y = g.op("Clip", [y, g.const(np.float32(0.0)), g.const(np.float32(6.0))])
    return [2, 9, 8], g.conv(y, 5, 3, [2, 3], dilations=[2, 1], pads=[0, 1, 1, 1])


def _depthwise(g: _G) -> tuple[list[int], str]:
    y = g.op("Relu", [g.conv("input", 4, 8, [3, 3], group=4, pads=[1, 1, 1, 1])])
    y = g.op("Relu", [g.conv(y, 8, 8, [3, 3], group=8, strides=[2, 2], pads=[0, 0, 1, 1])])
    return [4, 7, 6], g.conv(y, 8, 6, [1, 1])


def _depthwise_bands(g: _G) -> tuple[list[int], str]:
    """Depthwise planes packed in several bands of rows, dilated rows (the 3x3
    loop) and columns (the any-kernel loop), and a 5x5 kernel (more taps than the
    paired depthwise path keeps)."""
    y = g.op("Relu", [g.conv("input", 5, 5, [3, 3], group=5, pads=[1, 1, 1, 1])])
    y = g.conv(y, 5, 5, [3, 3], group=5, dilations=[2, 1], pads=[2, 1, 2, 1])
    y = g.conv(y, 5, 5, [3, 3], group=5, dilations=[1, 2], pads=[1, 2, 1, 2])
    y = g.conv(y, 5, 5, [5, 5], group=5, strides=[2, 2], pads=[2, 2, 2, 2])
    return [5, 9, 11], g.op("Flatten", [g.op("GlobalAveragePool", [y])])


def _pools(g: _G) -> tuple[list[int], str]:
    y = g.op("Relu", [g.conv("input", 3, 6, [3, 3], pads=[1, 1, 1, 1])])
    y = g.op("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("AveragePool", [y], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = g.op("AveragePool", [y], kernel_shape=[2, 3], strides=[1, 2], pads=[1, 0, 0, 2], count_include_pad=1)
    y = g.op("MaxPool", [y], kernel_shape=[3, 2], pads=[1, 1, 1, 0])
    y = g.op("GlobalAveragePool", [y])
    return [3, 10, 10], g.gemm(g.op("Flatten", [y]), 6, 4)


def _residual(g: _G) -> tuple[list[int], str]:
    a = g.op("Relu", [g.conv("input", 4, 8, [3], pads=[1, 1])])
    b = g.op("Relu", [g.conv(a, 8, 8, [3], pads=[1, 1])])
    b = g.conv(b, 8, 8, [3], pads=[1, 1])
    y = g.op("Relu", [g.op("Add", [a, b])])
    y = g.op("MaxPool", [y], kernel_shape=[2], strides=[2])
    return [4, 16], g.gemm(g.op("Flatten", [y]), 64, 5)


def _concat(g: _G) -> tuple[list[int], str]:
    a = g.op("Relu", [g.conv("input", 3, 4, [3, 3], pads=[1, 1, 1, 1])])
    b = g.conv("input", 3, 2, [1, 1])
    y = g.op("Concat", [a, b], axis=1)
    y = g.conv(y, 6, 4, [3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    return [3, 6, 6], g.op("Flatten", [y])


def _softmax(g: _G) -> tuple[list[int], str]:
    y = g.op("Relu", [g.gemm("input", 12, 16)])
    return [12], g.op("Softmax", [g.gemm(y, 16, 10)], axis=1)


def _cnn(g: _G) -> tuple[list[int], str]:
    y = g.op("Relu", [g.conv("input", 1, 8, [3, 3], pads=[1, 1, 1, 1])])
    y = g.op("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("Relu", [g.conv(y, 8, 16, [3, 3], pads=[1, 1, 1, 1])])
    y = g.op("GlobalAveragePool", [y])
    return [1, 8, 8], g.gemm(g.op("Flatten", [y]), 16, 10)


Builder = Callable[[_G], tuple[list[int], str]]
ORT_CASES: dict[str, Builder] = {
    "conv1d": _conv1d,
    "conv1d_edges": _conv1d_edges,
    "conv2d": _conv2d,
    "depthwise": _depthwise,
    "depthwise_bands": _depthwise_bands,
    "pools": _pools,
    "residual": _residual,
    "concat": _concat,
    "softmax": _softmax,
    "cnn": _cnn,
}

# Unary activations: (op, attributes); written with QDQ around them (per-tensor).
UNARY_CASES: dict[str, tuple[str, dict[str, float]]] = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "leakyrelu": ("LeakyRelu", {"alpha": 0.1}),
    "hardsigmoid": ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}),
    "hardswish": ("HardSwish", {}),
    "elu": ("Elu", {"alpha": 0.7}),
    "softmax1": ("Softmax", {"axis": 1}),
}


def case_inputs(shape: list[int], n: int, seed: int) -> F32:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1.0, (n, *shape)).astype(np.float32)


def quantize_ort(fp32: Path, out: Path, calibration: F32) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.rows = iter(calibration[i : i + 1] for i in range(len(calibration)))

        def get_next(self) -> dict[str, F32] | None:
            row = next(self.rows, None)
            return None if row is None else {"input": row}

    quantize_static(
        str(fp32), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
    )  # fmt: skip


def build_ort_case(name: str, folder: Path, seed: int = 0) -> tuple[Path, F32]:
    """The fp32 graph of `name` quantized by onnxruntime; returns the QDQ model and test inputs."""
    g = _G(seed + sum(map(ord, name)))
    shape, out = ORT_CASES[name](g)
    fp32 = folder / f"{name}.fp32.onnx"
    onnx.save(g.model(shape, out), str(fp32))
    path = folder / f"{name}.onnx"
    quantize_ort(fp32, path, case_inputs(shape, 64, seed + 1))
    return path, case_inputs(shape, 40, seed + 2)


def build_unary_case(name: str, folder: Path) -> tuple[Path, F32]:
    """input [N, 16] -> Q -> DQ -> op -> Q -> DQ with scales that cover the op's range."""
    op, attrs = UNARY_CASES[name]
    g = _G(sum(map(ord, name)))
    s_in, zp_in = g.const(np.float32(0.035)), g.const(np.int8(5))
    out_q = (1.0 / 256.0, -128) if op == "Softmax" else (0.0123, -7)
    s_out, zp_out = g.const(np.float32(out_q[0])), g.const(np.int8(out_q[1]))
    xq = g.op("QuantizeLinear", ["input", s_in, zp_in])
    x = g.op("DequantizeLinear", [xq, s_in, zp_in])
    y = g.op(op, [x], **attrs)
    yq = g.op("QuantizeLinear", [y, s_out, zp_out])
    out = g.op("DequantizeLinear", [yq, s_out, zp_out])
    path = folder / f"{name}.onnx"
    onnx.save(g.model([16], out), str(path))
    x_all = np.linspace(-5, 5, 256 * 16, dtype=np.float32).reshape(256, 16)
    if op == "Softmax":
        x_all = np.random.default_rng(5).normal(0, 2.0, (256, 16)).astype(np.float32)
    return path, x_all


def run_ort(path: Path, x: F32) -> NDArray[np.float32]:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {sess.get_inputs()[0].name: x})[0], dtype=np.float32)
