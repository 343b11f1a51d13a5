"""Read a QDQ ONNX graph into a typed list of integer layers (numpy and onnx only).

Supported: QuantizeLinear/DequantizeLinear around Gemm, or MatMul followed by
Add; Relu and Clip after a layer (fused into its clamp), or between a
DequantizeLinear and a QuantizeLinear of the same scale; Flatten, Reshape and
Identity. Constant weights may come as DequantizeLinear(int8 initializer) (the
onnxruntime quantizer) or DequantizeLinear(QuantizeLinear(float initializer))
(torch's exporter). Anything else is an error naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from m0nn.errors import ModelError
from m0nn.model import FCLayer, QModel, file_sha256
from m0nn.names import c_identifier, display, path_text
from m0nn.quant import INT32_MAX, INT32_MIN, Requant, quantize, quantize_multiplier

SUPPORTED_OPS = "QuantizeLinear, DequantizeLinear, Gemm, MatMul+Add, Relu, Clip, Flatten, Reshape, Identity, Transpose"
NO_QUANT_STUB = (
    " (the model's input is float: is the QuantStub missing? Wrap the model as"
    " QuantStub -> layers -> DeQuantStub before prepare_qat, as m0nn.train.MLP does)"
)


@dataclass
class QParams:
    scale: NDArray[np.float64]  # one value, or one per channel along `axis`
    zero_point: NDArray[np.int64]
    dtype: str  # "int8", "uint8" or "int32"
    axis: int = 1

    def scalar(self, what: str) -> tuple[float, int]:
        if self.scale.size != 1 or self.zero_point.size not in (0, 1):
            raise ModelError(f"{what} needs a per-tensor scale, got {self.scale.size} values")
        zp = int(self.zero_point.reshape(-1)[0]) if self.zero_point.size else 0
        return float(self.scale.reshape(-1)[0]), zp


@dataclass
class QConst:
    """A constant stored as integers with its quantization (a weight or a bias)."""

    q: NDArray[np.int64]
    qp: QParams

    def dequantized(self) -> NDArray[np.float64]:
        scale, zp = _broadcast(self.qp, self.q.ndim)
        return (self.q.astype(np.float64) - zp) * scale


@dataclass
class Act:
    """A dynamic tensor: float (`qp` None), int8 (`quantized`), or dequantized int8."""

    qp: QParams | None = None
    quantized: bool = False
    offset: int = 0  # 128 when the graph's type is uint8 (int8 here = uint8 - 128)
    layer: int | None = None  # the layer whose quantized output this is


@dataclass
class Pending:
    """A linear layer whose output has not been quantized yet."""

    node: str
    x_qp: QParams
    w: QConst
    bias_q: NDArray[np.int64] | None
    bias_float: NDArray[np.float64] | None
    activation: str = "none"
    clip: tuple[float, float] | None = None


_INT_TYPES: dict[int, str] = {
    onnx.TensorProto.INT8: "int8",
    onnx.TensorProto.UINT8: "uint8",
    onnx.TensorProto.INT32: "int32",
}


def _broadcast(qp: QParams, ndim: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    if qp.scale.size == 1 or ndim == 0:
        zp = qp.zero_point.reshape(-1)[0] if qp.zero_point.size else np.int64(0)
        return qp.scale.reshape(-1)[0] * np.ones(1), np.asarray(zp)
    shape = [1] * ndim
    shape[qp.axis % ndim] = -1
    zp = qp.zero_point if qp.zero_point.size else np.zeros_like(qp.scale, dtype=np.int64)
    return qp.scale.reshape(shape), zp.reshape(shape)


class _Importer:
    def __init__(self, model: onnx.ModelProto) -> None:
        self.graph = model.graph
        self.consts: dict[str, NDArray[np.generic]] = {}
        self.const_types: dict[str, int] = {}
        self.qconsts: dict[str, QConst] = {}
        self.acts: dict[str, Act] = {}
        self.pending: dict[str, Pending] = {}
        self.layers: list[FCLayer] = []
        self.input_range = (-128, 127)  # the model input's int8 clamp (a Clip after its QuantizeLinear)
        for init in self.graph.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
            self.const_types[init.name] = init.data_type
        initializer_names = set(self.consts)
        for inp in self.graph.input:
            if inp.name in initializer_names:
                continue
            self.acts[inp.name] = Act()

    # -- helpers -----------------------------------------------------------------
    def err(self, node: onnx.NodeProto, msg: str) -> ModelError:
        return ModelError(f"node '{_node_name(node)}' ({display(node.op_type, 40)}): {msg}")

    def attr(self, node: onnx.NodeProto, name: str, default: object) -> object:
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def qparams(self, node: onnx.NodeProto, dtype_hint: int | None = None) -> QParams:
        if len(node.input) < 2 or node.input[1] not in self.consts:
            raise self.err(node, "the scale must be a constant (missing scales?)")
        scale = np.asarray(self.consts[node.input[1]], dtype=np.float64).reshape(-1)
        if len(node.input) > 2 and node.input[2]:
            if node.input[2] not in self.consts:
                raise self.err(node, "the zero point must be a constant")
            zp_arr = self.consts[node.input[2]]
            dtype = _INT_TYPES.get(self.const_types[node.input[2]])
            zero_point = np.asarray(zp_arr, dtype=np.int64).reshape(-1)
        else:
            dtype = "uint8" if dtype_hint is None else _INT_TYPES.get(dtype_hint)
            zero_point = np.zeros(0, dtype=np.int64)
        if dtype is None:
            raise self.err(node, "only int8, uint8 and int32 quantization is supported")
        if np.any(~np.isfinite(scale)) or np.any(scale <= 0):
            raise self.err(node, "scales must be finite and positive")
        axis = int(self.attr(node, "axis", 1))  # type: ignore[call-overload]
        return QParams(scale, zero_point, dtype, axis)

    # -- constant nodes ----------------------------------------------------------
    def fold_constant(self, node: onnx.NodeProto) -> bool:
        op = node.op_type
        if op == "Constant":
            value = self.attr(node, "value", None)
            if value is None:
                raise self.err(node, "only tensor-valued Constant nodes are supported")
            self.consts[node.output[0]] = numpy_helper.to_array(value)  # type: ignore[arg-type]
            self.const_types[node.output[0]] = value.data_type  # type: ignore[attr-defined]
            return True
        ins = [i for i in node.input if i]
        if not ins or not all(i in self.consts or i in self.qconsts for i in ins):
            return False
        if op == "Identity":
            src = node.input[0]
            if src in self.consts:
                self.consts[node.output[0]] = self.consts[src]
                self.const_types[node.output[0]] = self.const_types[src]
            else:
                self.qconsts[node.output[0]] = self.qconsts[src]
            return True
        if op == "QuantizeLinear":
            qp = self.qparams(node)
            lo, hi = {"int8": (-128, 127), "uint8": (0, 255), "int32": (INT32_MIN, INT32_MAX)}[qp.dtype]
            x = np.asarray(self.consts[node.input[0]], dtype=np.float64)
            if not np.all(np.isfinite(x)):
                raise self.err(node, f"constant '{display(node.input[0])}' has NaN or infinite values")
            self._check_axis(node, x.shape, qp)
            scale, zp = _broadcast(qp, x.ndim)
            q = np.clip(np.rint(x / scale) + zp, lo, hi).astype(np.int64)
            self.qconsts[node.output[0]] = QConst(q, qp)
            return True
        if op == "DequantizeLinear":
            src = node.input[0]
            if src in self.qconsts:
                self.qconsts[node.output[0]] = self.qconsts[src]
                return True
            qp = self.qparams(node, self.const_types.get(src))
            dtype = _INT_TYPES.get(self.const_types.get(src, -1))
            if dtype is None:
                raise self.err(node, "constant input is not an int8, uint8 or int32 tensor")
            qp.dtype = dtype
            self._check_axis(node, np.shape(self.consts[src]), qp)
            self.qconsts[node.output[0]] = QConst(np.asarray(self.consts[src], dtype=np.int64), qp)
            return True
        if op == "Transpose" and node.input[0] in self.qconsts:
            # torch's Linear(bias=False): MatMul(x, Transpose(DequantizeLinear(w))).
            c = self.qconsts[node.input[0]]
            perm = self.attr(node, "perm", None)
            if c.q.ndim != 2 or (perm is not None and list(perm) != [1, 0]):  # type: ignore[call-overload]
                raise self.err(node, f"only the transpose of a 2-D weight is supported, got shape {list(c.q.shape)}")
            qp = QParams(c.qp.scale, c.qp.zero_point, c.qp.dtype, 1 - c.qp.axis % 2)
            self.qconsts[node.output[0]] = QConst(c.q.T, qp)
            return True
        return False

    def _check_axis(self, node: onnx.NodeProto, shape: tuple[int, ...], qp: QParams) -> None:
        """Per-axis scales and zero points: one per element along `axis`."""
        if qp.zero_point.size not in (0, qp.scale.size):
            raise self.err(node, f"{qp.zero_point.size} zero points for {qp.scale.size} scales")
        if qp.scale.size == 1:
            return
        if not -len(shape) <= qp.axis < len(shape):
            raise self.err(node, f"axis {qp.axis} is outside a tensor of shape {list(shape)}")
        if shape[qp.axis] != qp.scale.size:
            raise self.err(
                node, f"{qp.scale.size} scales for {shape[qp.axis]} values along axis {qp.axis} (shape {list(shape)})"
            )

    # -- dynamic nodes -----------------------------------------------------------
    def act(self, node: onnx.NodeProto, name: str) -> Act | Pending:
        if name in self.acts:
            return self.acts[name]
        if name in self.pending:
            return self.pending[name]
        raise self.err(node, f"input '{display(name)}' comes from an unsupported pattern")

    def run(self) -> list[FCLayer]:
        for node in self.graph.node:
            if self.fold_constant(node):
                continue
            handler = getattr(self, f"op_{node.op_type}", None)
            if handler is None:
                raise self.err(node, f"unsupported operator; supported: {SUPPORTED_OPS}")
            handler(node)
        for out in self.graph.output:
            if out.name in self.pending:
                raise ModelError(f"graph output '{display(out.name)}' is not quantized (add a QuantizeLinear)")
            if out.name not in self.acts or self.acts[out.name].qp is None:
                raise ModelError(f"graph output '{display(out.name)}' is not produced by a quantized layer")
        if len(self.graph.output) != 1:
            raise ModelError(f"the graph has {len(self.graph.output)} outputs; m0nn supports one")
        if not self.layers:
            raise ModelError("the graph has no Gemm or MatMul layer")
        return self.layers

    def op_QuantizeLinear(self, node: onnx.NodeProto) -> None:
        src = self.act(node, node.input[0])
        qp = self.qparams(node)
        if qp.dtype not in ("int8", "uint8"):
            raise self.err(node, f"activations must be int8 or uint8, got {qp.dtype}")
        offset = 128 if qp.dtype == "uint8" else 0
        qp = _as_int8(qp)
        layer = None
        if isinstance(src, Pending):
            self.finish_layer(node, src, qp)
            layer = len(self.layers) - 1
        elif src.qp is not None and not src.quantized:
            # DQ -> (Relu) -> Q: requantizing an activation is only supported
            # with identical parameters (a standalone Relu folded below).
            prev = src.qp
            if not (np.allclose(prev.scale, qp.scale, rtol=1e-6) and np.array_equal(prev.zero_point, qp.zero_point)):
                raise self.err(node, "re-quantizing an activation to a different scale is not supported")
        self.acts[node.output[0]] = Act(qp, quantized=True, offset=offset, layer=layer)

    def op_DequantizeLinear(self, node: onnx.NodeProto) -> None:
        src = self.act(node, node.input[0])
        if isinstance(src, Pending) or not src.quantized or src.qp is None:
            raise self.err(node, "DequantizeLinear of a tensor that is not quantized")
        self.acts[node.output[0]] = Act(src.qp, quantized=False)

    def _linear(self, node: onnx.NodeProto, x_name: str, w_name: str, transpose_w: bool) -> Pending:
        x = self.act(node, x_name)
        if isinstance(x, Pending) or x.qp is None or x.quantized:
            hint = NO_QUANT_STUB if isinstance(x, Act) and x.qp is None else ""
            raise self.err(node, f"the input must be a DequantizeLinear output (a quantized activation){hint}")
        if w_name not in self.qconsts:
            raise self.err(node, "the weight must be a quantized constant (DequantizeLinear of an initializer)")
        w = self.qconsts[w_name]
        if w.qp.dtype not in ("int8", "uint8"):
            raise self.err(node, f"weights must be int8 or uint8, got {w.qp.dtype}")
        if w.q.ndim != 2 or 0 in w.q.shape:
            raise self.err(node, f"weights must be 2-D and not empty, got shape {list(w.q.shape)}")
        # A weight is scale * (q - zero point). Where every q - zero point fits
        # int8, fold it on the host (symmetric weights, no run-time cost); else
        # keep the weights as int8 (uint8 ones less 128, with their zero point)
        # and the zero point for the kernels to apply (weight_zero_point).
        zp = _broadcast(w.qp, 2)[1]
        q = w.q - zp
        runtime_zp = np.zeros(0, np.int64)
        if q.size and (q.min() < -128 or q.max() > 127):
            u8 = 128 if w.qp.dtype == "uint8" else 0
            q = w.q - u8
            runtime_zp = np.asarray(zp, np.int64).reshape(-1) - u8
        qp = QParams(w.qp.scale, runtime_zp, "int8", w.qp.axis % 2)
        if transpose_w:
            q = q.T
            qp.axis = 1 - qp.axis
        if qp.scale.size > 1 and qp.axis != 0:
            raise self.err(node, "per-channel weight scales must be per output channel")
        return Pending(_node_name(node), x.qp, QConst(q, qp), None, None)

    def op_Gemm(self, node: onnx.NodeProto) -> None:
        if float(self.attr(node, "alpha", 1.0)) != 1.0 or float(self.attr(node, "beta", 1.0)) != 1.0:  # type: ignore[arg-type]
            raise self.err(node, "alpha and beta must be 1")
        if int(self.attr(node, "transA", 0)):  # type: ignore[call-overload]
            raise self.err(node, "transA is not supported")
        layer = self._linear(node, node.input[0], node.input[1], transpose_w=not int(self.attr(node, "transB", 0)))  # type: ignore[call-overload]
        if len(node.input) > 2 and node.input[2]:
            self._set_bias(node, layer, node.input[2])
        self.pending[node.output[0]] = layer

    def op_MatMul(self, node: onnx.NodeProto) -> None:
        self.pending[node.output[0]] = self._linear(node, node.input[0], node.input[1], transpose_w=True)

    def op_Add(self, node: onnx.NodeProto) -> None:
        a, b = node.input[0], node.input[1]
        if b in self.pending:
            a, b = b, a
        if a not in self.pending or self.pending[a].bias_float is not None:
            raise self.err(node, "Add is supported only as the bias of a MatMul")
        layer = self.pending[a]
        self._set_bias(node, layer, b)
        self.pending[node.output[0]] = layer

    def _set_bias(self, node: onnx.NodeProto, layer: Pending, name: str) -> None:
        out = layer.w.q.shape[0]
        acc_scale = layer.x_qp.scale.reshape(-1)[0] * layer.w.qp.scale.reshape(-1)
        if name in self.qconsts:
            b = self.qconsts[name]
            bias_float = b.dequantized().reshape(-1)
            if b.qp.dtype == "int32" and np.allclose(b.qp.scale.reshape(-1), acc_scale, rtol=1e-5):
                # The bias is scale * (q - zero point): exact in integers.
                zp = np.broadcast_to(_broadcast(b.qp, 1)[1].reshape(-1), (b.q.size,))
                layer.bias_q = b.q.reshape(-1).astype(np.int64) - zp
            else:
                layer.bias_q = None
        elif name in self.consts:
            bias_float = np.asarray(self.consts[name], dtype=np.float64).reshape(-1)
        else:
            raise self.err(node, "the bias must be a constant")
        if bias_float.size != out:
            raise self.err(node, f"bias has {bias_float.size} values for {out} outputs")
        layer.bias_float = bias_float
        if layer.bias_q is None:
            if not np.all(np.isfinite(bias_float)) or np.abs(bias_float / acc_scale).max() >= 2.0**31:
                raise self.err(node, "the bias is NaN, infinite or beyond int32 at the accumulator's scale")
            layer.bias_q = np.rint(bias_float / acc_scale).astype(np.int64)

    def op_Relu(self, node: onnx.NodeProto) -> None:
        self._activation(node, "relu", None)

    def op_Clip(self, node: onnx.NodeProto) -> None:
        lo = hi = None
        for i in (1, 2):
            if len(node.input) > i and node.input[i]:
                if node.input[i] not in self.consts or np.asarray(self.consts[node.input[i]]).size != 1:
                    raise self.err(node, f"the {('min', 'max')[i - 1]} bound must be a constant scalar")
                bound = float(np.asarray(self.consts[node.input[i]]).reshape(-1)[0])
                lo, hi = (bound, hi) if i == 1 else (lo, bound)
        lo = float(self.attr(node, "min", lo if lo is not None else -np.inf))  # type: ignore[arg-type]
        hi = float(self.attr(node, "max", hi if hi is not None else np.inf))  # type: ignore[arg-type]
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise self.err(node, f"the clip range [{lo:g}, {hi:g}] is empty or NaN")
        src = self.act(node, node.input[0])
        if isinstance(src, Act) and src.quantized:
            self._clip_quantized(node, src, lo, hi)
            return
        self._activation(node, "clip", (lo, hi))

    def _clip_quantized(self, node: onnx.NodeProto, src: Act, lo: float, hi: float) -> None:
        """Clip between QuantizeLinear and DequantizeLinear, in integers: how torch
        exports a narrower activation range (e.g. quint8 0..127 of `reduce_range`,
        torch's default_qat_qconfig). A clamp of the layer's output, or of the
        model's input."""
        q_lo = max(-128, int(np.ceil(lo)) - src.offset) if np.isfinite(lo) else -128
        q_hi = min(127, int(np.floor(hi)) - src.offset) if np.isfinite(hi) else 127
        if src.layer is not None:
            layer = self.layers[src.layer]
            layer.act_min, layer.act_max = max(layer.act_min, q_lo), min(layer.act_max, q_hi)
            if layer.act_min > layer.act_max:
                raise self.err(node, f"the clip range leaves no value of layer {layer.name}'s output")
        elif not self.layers:
            self.input_range = (max(self.input_range[0], q_lo), min(self.input_range[1], q_hi))
            if self.input_range[0] > self.input_range[1]:
                raise self.err(node, "the clip range leaves no value of the model's input")
        else:
            raise self.err(node, "a Clip of quantized values must follow a layer's or the input's QuantizeLinear")
        self.acts[node.output[0]] = src

    def _activation(self, node: onnx.NodeProto, kind: str, bounds: tuple[float, float] | None) -> None:
        src = self.act(node, node.input[0])
        if isinstance(src, Pending):
            if src.activation != "none":
                raise self.err(node, "two activations in a row are not supported")
            src.activation, src.clip = kind, bounds
            self.pending[node.output[0]] = src
            return
        if src.qp is None or src.quantized or not self.layers or kind != "relu":
            raise self.err(node, "an activation must follow a Gemm/MatMul or a DequantizeLinear of a layer output")
        # DQ -> Relu -> Q with the same parameters: a clamp at the zero point of the
        # previous layer's output, which the next QuantizeLinear checks.
        prev = self.layers[-1]
        prev.act_min = max(prev.act_min, prev.output_zero_point)
        if prev.activation == "none":
            prev.activation = "relu"
        self.acts[node.output[0]] = src

    def op_BatchNormalization(self, node: onnx.NodeProto) -> None:
        raise self.err(
            node,
            "BatchNorm is not folded: fold it into the Conv/Gemm before it, then quantize "
            "(m0nn.train.prepare_qat does; torch.ao.quantization.fuse_modules in eval mode; "
            "python -m onnxruntime.quantization.preprocess before quantize_static)",
        )

    def _passthrough(self, node: onnx.NodeProto) -> None:
        src = self.act(node, node.input[0])
        if isinstance(src, Pending):
            self.pending[node.output[0]] = src
        else:
            self.acts[node.output[0]] = src

    op_Identity = _passthrough

    def op_Flatten(self, node: onnx.NodeProto) -> None:
        if int(self.attr(node, "axis", 1)) != 1:  # type: ignore[call-overload]
            raise self.err(node, "only Flatten with axis 1 is supported")
        self._passthrough(node)

    def op_Reshape(self, node: onnx.NodeProto) -> None:
        shape = self.consts.get(node.input[1]) if len(node.input) > 1 else None
        if shape is None or np.asarray(shape).size != 2:
            raise self.err(node, "only a Reshape to a constant 2-D shape [batch, features] is supported")
        self._passthrough(node)

    def finish_layer(self, node: onnx.NodeProto, p: Pending, out_qp: QParams) -> None:
        s_in, zp_in = p.x_qp.scalar(f"the input of {p.node}")
        s_out, zp_out = out_qp.scalar(f"the output of {p.node}")
        w = p.w.q
        if w.min() < -128 or w.max() > 127:
            raise self.err(node, "weights outside the int8 range")
        wzp = p.w.qp.zero_point
        if wzp.size not in (0, 1, w.shape[0]):
            raise self.err(node, f"{wzp.size} weight zero points for {w.shape[0]} output channels")
        w_eff = w - np.broadcast_to(wzp, (w.shape[0],))[:, None] if wzp.size else w
        n_out = w.shape[0]
        s_w = p.w.qp.scale.reshape(-1)
        if s_w.size not in (1, n_out):
            raise self.err(node, f"{s_w.size} weight scales for {n_out} output channels")
        s_w_full = np.broadcast_to(s_w, (n_out,)).astype(np.float64)
        bias_q = p.bias_q if p.bias_q is not None else np.zeros(n_out, dtype=np.int64)
        bias_float = p.bias_float if p.bias_float is not None else np.zeros(n_out)
        # Fold the input zero point into the bias: sum (x - zp) w = sum x w - zp sum w.
        folded = bias_q - zp_in * w_eff.sum(axis=1)
        if folded.min() < INT32_MIN or folded.max() > INT32_MAX:
            raise ModelError(f"layer {p.node}: bias does not fit int32 after folding the input zero point")
        real = s_in * s_w / s_out
        pairs = [quantize_multiplier(float(r)) for r in real]
        requant = Requant(
            "q31",
            np.array([m for m, _ in pairs], dtype=np.int32),
            np.array([s for _, s in pairs], dtype=np.int32),
        )
        act_min, act_max = -128, 127
        if p.activation == "relu":
            act_min = max(act_min, zp_out)
        elif p.activation == "clip" and p.clip is not None:
            lo, hi = p.clip
            if np.isfinite(lo):
                act_min = max(act_min, int(quantize(np.array(lo), s_out, zp_out)))
            if np.isfinite(hi):
                act_max = min(act_max, int(quantize(np.array(hi), s_out, zp_out)))
        if act_min > act_max:
            raise self.err(node, f"the activation of {p.node} leaves no output value ([{act_min}, {act_max}])")
        self.layers.append(
            FCLayer(
                name=p.node,
                weights=w.astype(np.int8),
                bias=folded.astype(np.int32),
                requant=requant,
                act_min=act_min,
                act_max=act_max,
                input_scale=s_in,
                input_zero_point=zp_in,
                output_scale=s_out,
                output_zero_point=zp_out,
                weight_scale=s_w_full,
                bias_float=bias_float,
                activation=p.activation,
                real_multiplier=np.asarray(real, dtype=np.float64),
                weight_zero_point=wzp.astype(np.int64),
            )
        )


def _as_int8(qp: QParams) -> QParams:
    """uint8 activations become int8 exactly: q - 128 with zero point - 128."""
    if qp.dtype == "uint8":
        zp = qp.zero_point if qp.zero_point.size else np.zeros(1, dtype=np.int64)
        return QParams(qp.scale, zp - 128, "int8", qp.axis)
    return qp


def _node_name(node: onnx.NodeProto) -> str:
    """A node's name (or its first output's) as it may appear in a message or a C comment."""
    return display(node.name or (node.output[0] if node.output else "") or "unnamed")


def external_data(model: onnx.ModelProto, path: Path) -> list[str]:
    """The files holding the model's external tensors (torch's exporter and
    onnx.save(..., save_as_external_data=True) write them beside the model), as
    paths relative to the model's folder. Each must stay inside that folder and
    be spelled in plain ASCII (it is recorded in the header's provenance)."""
    locations: set[str] = set()
    tensors = list(model.graph.initializer) + [
        a.t for n in model.graph.node for a in n.attribute if a.type == onnx.AttributeProto.TENSOR
    ]
    for tensor in tensors:
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        where = {e.key: e.value for e in tensor.external_data}
        loc = where.get("location", "")
        if not loc or display(loc, 200) != loc:
            raise ModelError(f"tensor '{display(tensor.name)}': external data location {loc!r} is not a plain name")
        rel = Path(loc)
        base = path.resolve().parent
        target = (base / rel).resolve()
        if rel.is_absolute() or ".." in rel.parts or base not in target.parents:
            raise ModelError(
                f"tensor '{display(tensor.name)}': external data '{loc}' is outside the model's folder (refused)"
            )
        if not target.is_file():
            raise ModelError(f"tensor '{display(tensor.name)}': external data file '{loc}' is missing")
        locations.add(rel.as_posix())
    return sorted(locations)


def load_onnx(path: Path) -> tuple[onnx.ModelProto, list[str]]:
    """The model and its external-data files (relative to its folder)."""
    if not path.is_file():
        raise ModelError(f"{path_text(path)}: no such model file")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises several types for corrupt files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ModelError(f"{path_text(path)}: not a valid ONNX model ({display(first, 200)})") from exc
    try:
        files = external_data(model, path)
    except ModelError as exc:
        raise ModelError(f"{path_text(path)}: {exc}") from None
    try:
        if files:
            onnx.load_external_data_for_model(model, str(path.resolve().parent))
        onnx.checker.check_model(model)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ModelError(f"{path_text(path)}: not a valid ONNX model ({display(first, 200)})") from exc
    if is_float_model(model):
        raise ModelError(f"{path_text(path)}: {FLOAT_MODEL}")
    return model, files


FLOAT_MODEL = (
    "a float model (no QuantizeLinear/DequantizeLinear): m0nn needs a QDQ int8 model "
    "(m0nn.train.export_qdq_onnx after QAT, or onnxruntime quantize_static)"
)


def is_float_model(model: onnx.ModelProto) -> bool:
    """No quantizing operator at all (what torch.onnx.export of an fp32 network or
    m0nn.train.export_fp32_onnx writes): neither QDQ nor onnxruntime's QOperator
    (QLinear*) or integer (MatMulInteger, DynamicQuantizeLinear) forms."""
    return not any(
        "Quantize" in n.op_type or n.op_type.startswith("QLinear") or n.op_type.endswith("Integer")
        for n in model.graph.node
    )


def _c_name(path: Path) -> str:
    """The model's C name; "model" where the file name cannot give one (`m0nn check`
    needs none; `m0nn gen` refuses such a name before it imports)."""
    try:
        return c_identifier(path.stem)
    except ModelError:
        return "model"


def import_model(path: Path, name: str | None = None) -> QModel:
    """Import a QDQ ONNX file; raises ModelError naming the first problem."""
    path = Path(path)
    proto, files = load_onnx(path)
    importer = _Importer(proto)
    try:
        layers = importer.run()
    except ModelError as exc:
        raise ModelError(f"{path_text(path.name)}: {exc}") from None
    for prev, nxt in zip(layers, layers[1:], strict=False):
        if prev.out_size != nxt.in_size:
            raise ModelError(
                f"{path_text(path.name)}: layer {nxt.name} expects {nxt.in_size} inputs, gets {prev.out_size}"
            )
    return QModel(
        name=name or _c_name(path),
        layers=layers,
        source=str(path),
        sha256=file_sha256(path),
        producer=f"{proto.producer_name} {proto.producer_version}".strip(),
        external=[(f, file_sha256(path.parent / f)) for f in files],
        input_min=importer.input_range[0],
        input_max=importer.input_range[1],
    )
