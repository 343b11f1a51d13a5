"""QDQ ONNX -> GModel: the import rules of the graph operators.

Each ONNX value is tracked as an int8 tensor (a QuantizeLinear output), its
dequantized view (a DequantizeLinear output), or a pending float result (an
operator on dequantized inputs) that becomes an integer operator when a
QuantizeLinear gives its output scale. Constants are folded as in
m0nn.onnx_import (int8 initializers or torch's DequantizeLinear(QuantizeLinear(W))).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray

from m0nn.errors import ModelError
from m0nn.graph.ir import (
    AddOp,
    ConcatOp,
    ConvOp,
    FCOp,
    GModel,
    LutOp,
    Op,
    PoolOp,
    SoftmaxOp,
    Tensor,
    TransposeOp,
)
from m0nn.graph.shape_fold import ShapeVal, fold, reshape_target, shape_value
from m0nn.graph.unary import UNARY_OPS, Fn, compose, unary_function
from m0nn.model import file_sha256
from m0nn.names import c_identifier, display, path_text
from m0nn.onnx_import import QConst, QParams, _as_int8, _Importer, load_onnx
from m0nn.quant import (
    INT32_MAX,
    INT32_MIN,
    Requant,
    add_multipliers,
    average_window_reciprocals,
    float_table,
    quantize,
    quantize_multiplier,
    softmax_exp_table,
    softmax_output_multiplier,
)

GRAPH_OPS = ("Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Softmax", "Concat", *UNARY_OPS[2:])
SUPPORTED = (
    "QuantizeLinear, DequantizeLinear, Conv (1-D/2-D, group 1 or depthwise), MaxPool, AveragePool, "
    "GlobalAveragePool, Add, Concat (channels), Softmax (last axis), Gemm, MatMul(+Add), Flatten, Reshape, "
    "Identity, shape arithmetic that static shapes determine (Shape, Gather, Unsqueeze, Concat, ...), "
    + ", ".join(UNARY_OPS)
)


NOT_QUANTIZED = (
    "unsupported operator on this input: it must read a DequantizeLinear output "
    "(quantize the previous layer's output first)"
)


def needs_graph(model: onnx.ModelProto) -> bool:
    """Whether a model needs the graph path: an operator the FC chain lacks, or
    an Add of two activations (a residual)."""
    ops = {n.op_type for n in model.graph.node}
    if ops & set(GRAPH_OPS):
        return True
    return _has_activation_add(model)


def _has_activation_add(model: onnx.ModelProto) -> bool:
    consts = {i.name for i in model.graph.initializer}
    produced_by: dict[str, str] = {}
    for n in model.graph.node:
        for o in n.output:
            produced_by[o] = n.op_type
    for n in model.graph.node:
        if n.op_type == "Add" and len(n.input) == 2:
            kinds = [produced_by.get(i, "const" if i in consts else "input") for i in n.input]
            if all(k == "DequantizeLinear" for k in kinds) and not any(i in consts for i in n.input):
                # DQ of a constant is a bias; DQ of an activation on both sides is a residual
                srcs = [_dq_source(model, i) for i in n.input]
                if all(s not in consts for s in srcs):
                    return True
    return False


def _dq_source(model: onnx.ModelProto, name: str) -> str:
    for n in model.graph.node:
        if name in n.output:
            src = n.input[0]
            for m in model.graph.node:
                if src in m.output and m.op_type in ("QuantizeLinear", "Constant"):
                    return m.input[0] if m.op_type == "QuantizeLinear" else src
            return src
    return name


@dataclass
class QT:
    tid: int  # an int8 tensor


@dataclass
class DQ:
    tid: int  # its dequantized view


@dataclass
class FloatInput:
    shape: tuple[int, ...]


@dataclass
class PendLinear:
    node: str
    src: int
    w: QConst
    conv: dict[str, object] | None  # None: fully connected
    bias_q: NDArray[np.int64] | None = None
    bias_float: NDArray[np.float64] | None = None
    activation: str = "none"
    clip: tuple[float, float] | None = None


@dataclass
class PendAdd:
    node: str
    a: int
    b: int
    activation: str = "none"
    clip: tuple[float, float] | None = None


@dataclass
class PendUnary:
    node: str
    src: int
    fns: list[Fn] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


@dataclass
class PendPool:
    op: PoolOp  # an average pool whose output scale is not known yet


@dataclass
class PendSoftmax:
    node: str
    src: int


@dataclass
class PendConcat:
    node: str
    srcs: list[int]


Val = QT | DQ | FloatInput | PendLinear | PendAdd | PendUnary | PendPool | PendSoftmax | PendConcat


def _ints(v: object) -> list[int]:
    return [int(x) for x in v]  # type: ignore[attr-defined]


class GraphImporter(_Importer):
    def __init__(self, model: onnx.ModelProto) -> None:
        super().__init__(model)
        self.vals: dict[str, Val] = {}
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []
        self.n_bufs = 0
        self.input_tid: int | None = None
        self.shape_vals: dict[str, ShapeVal] = {}  # folded shape arithmetic (m0nn.graph.shape_fold)
        init = set(self.consts)
        inputs = [i for i in self.graph.input if i.name not in init]
        if len(inputs) != 1:
            raise ModelError(f"the graph has {len(inputs)} inputs; m0nn supports one")
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in inputs[0].type.tensor_type.shape.dim]
        if len(dims) < 2 or len(dims) > 4:
            raise ModelError(f"input '{inputs[0].name}' has shape {dims}; expected [N, F], [N, C, L] or [N, C, H, W]")
        self.input_shape = tuple(dims[1:])
        self.vals[inputs[0].name] = FloatInput(self.input_shape)

    # -- tensors -------------------------------------------------------------------
    def new_tensor(
        self,
        shape: tuple[int, ...],
        scale: float,
        zp: int,
        buf: int | None = None,
        flat_of: tuple[int, int] | None = None,
    ) -> int:
        if buf is None:
            buf = self.n_bufs
            self.n_bufs += 1
        self.tensors.append(Tensor(len(self.tensors), tuple(int(s) for s in shape), scale, zp, buf, flat_of))
        return len(self.tensors) - 1

    def like(self, tid: int, scale: float, zp: int) -> int:
        t = self.tensors[tid]
        return self.new_tensor(t.shape, scale, zp, flat_of=t.flat_of)

    def val(self, node: onnx.NodeProto, name: str) -> Val:
        if name not in self.vals:
            raise self.err(node, f"input '{name}' comes from an unsupported pattern")
        v = self.vals[name]
        if isinstance(v, PendPool) and node.op_type != "QuantizeLinear":
            # read without a new scale: the average in the input's own scale
            src = self.tensors[v.op.inputs[0]]
            v = self.vals[name] = DQ(self.finish_pool(v.op, src.scale, src.zero_point))
        return v

    def finish_pool(self, op: PoolOp, scale: float, zp: int) -> int:
        src = self.tensors[op.inputs[0]]
        op.output = self.like(op.inputs[0], scale, zp)
        t = self.tensors[op.output]
        oh, ow = op.rescale.pop() if op.rescale else (1, 1)
        t.shape = (t.shape[0], ow) if len(t.shape) == 2 else (t.shape[0], oh, ow)
        n = op.kernel[0] * op.kernel[1]
        same = np.isclose(src.scale, scale, rtol=1e-6, atol=0) and src.zero_point == zp
        if same:
            op.recips = average_window_reciprocals(n)
        else:
            # |total| <= 255 n: shift it left as far as int32 allows, and the
            # multiplier's exponent down as much (at most to -31).
            pre = max(0, (INT32_MAX // (255 * n)).bit_length() - 1)
            pairs = [quantize_multiplier(src.scale / (scale * c)) for c in range(1, n + 1)]
            pre = min([pre] + [31 + s for m, s in pairs if m])
            op.pre_shift = pre
            op.rescale = [(m, s - pre if m else 0) for m, s in pairs]
        self.ops.append(op)
        return op.output

    def dq(self, node: onnx.NodeProto, i: int = 0) -> int:
        v = self.val(node, node.input[i])
        if not isinstance(v, DQ):
            raise self.err(node, "the input must be a DequantizeLinear output (a quantized activation)")
        return v.tid

    # -- driver ----------------------------------------------------------------------
    def build(self, name: str) -> GModel:
        for node in self.graph.node:
            if self.fold_constant(node) or self.fold_shape(node):
                continue
            handler = getattr(self, f"g_{node.op_type}", None)
            if handler is None:
                if node.op_type in UNARY_OPS:
                    self.unary(node)
                    continue
                if node.op_type == "BatchNormalization":
                    raise self.err(
                        node,
                        "BatchNormalization must be folded into the preceding Conv/Gemm before export "
                        "(m0nn.train folds it; or torch.ao.quantization.fuse_modules)",
                    )
                raise self.err(node, f"unsupported operator; supported: {SUPPORTED}")
            handler(node)
        if len(self.graph.output) != 1:
            raise ModelError(f"the graph has {len(self.graph.output)} outputs; m0nn supports one")
        out_name = self.graph.output[0].name
        v = self.vals.get(out_name)
        if not isinstance(v, QT | DQ):
            raise ModelError(f"graph output '{out_name}' is not quantized (add a QuantizeLinear)")
        if self.input_tid is None or not self.ops:
            raise ModelError("the graph has no operator to run")
        out = v.tid
        t = self.tensors[out]
        if t.channels_last_differs:
            c, s = t.flat_of if t.flat_of is not None else (t.hwc[2], t.size // t.hwc[2])
            flat = self.new_tensor((t.size,), t.scale, t.zero_point)
            self.ops.append(TransposeOp("output", [out], flat, rows=s, cols=c))
            out = flat
        if self.tensors[out].buf == self.tensors[self.input_tid].buf:
            raise ModelError("the graph output is its input: nothing to run")
        return GModel(name, self.tensors, self.ops, self.input_tid, out, onnx_input=self.input_shape)

    def fold_shape(self, node: onnx.NodeProto) -> bool:
        """Shape, and what reads a shape value (m0nn.graph.shape_fold), evaluated here."""
        if node.op_type == "Shape":
            v = self.val(node, node.input[0])
            if not isinstance(v, QT | DQ | FloatInput):
                raise self.err(node, "Shape of a value m0nn has not quantized; take it after a quantized layer")
            dims = v.shape if isinstance(v, FloatInput) else self.tensors[v.tid].shape
            start, end = self.attr(node, "start", 0), self.attr(node, "end", None)
            self.shape_vals[node.output[0]] = shape_value(dims, int(start), None if end is None else int(end))  # type: ignore[call-overload]
            return True
        if node.op_type == "Reshape" or not any(i in self.shape_vals for i in node.input):
            return False
        args = [self.shape_vals.get(i, self.consts.get(i)) if i else None for i in node.input]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        try:
            self.shape_vals[node.output[0]] = fold(node.op_type, args, attrs)
        except (ValueError, IndexError) as exc:
            raise self.err(node, str(exc)) from None
        return True

    # -- quantization nodes --------------------------------------------------------------
    def g_QuantizeLinear(self, node: onnx.NodeProto) -> None:
        v = self.val(node, node.input[0])
        qp = self.qparams(node)
        if qp.dtype not in ("int8", "uint8"):
            raise self.err(node, f"activations must be int8 or uint8, got {qp.dtype}")
        scale, zp = _as_int8(qp).scalar(f"the output of {node.name or node.output[0]}")
        out = node.output[0]
        if isinstance(v, FloatInput):
            if self.input_tid is not None:
                raise self.err(node, "the model input is quantized twice")
            shape = v.shape
            c, s = shape[0], int(np.prod(shape[1:])) if len(shape) > 1 else 1
            if len(shape) > 1 and c > 1 and s > 1:
                raw = self.new_tensor((int(np.prod(shape)),), scale, zp)
                self.input_tid = raw
                tid = self.new_tensor(shape, scale, zp)
                self.ops.append(TransposeOp("input", [raw], tid, rows=c, cols=s))
            else:
                tid = self.new_tensor(shape, scale, zp)
                self.input_tid = tid
            self.vals[out] = QT(tid)
        elif isinstance(v, DQ):
            t = self.tensors[v.tid]
            if np.isclose(t.scale, scale, rtol=1e-6, atol=0) and t.zero_point == zp:
                self.vals[out] = QT(v.tid)
            else:
                self.vals[out] = QT(self.lut(node.name or out, v.tid, [], scale, zp, "requantize"))
        elif isinstance(v, QT):
            raise self.err(node, "QuantizeLinear of a tensor that is already quantized")
        else:
            self.vals[out] = QT(self.finish(node, v, scale, zp))

    def g_DequantizeLinear(self, node: onnx.NodeProto) -> None:
        v = self.val(node, node.input[0])
        if not isinstance(v, QT):
            raise self.err(node, "DequantizeLinear of a tensor that is not quantized")
        self.vals[node.output[0]] = DQ(v.tid)

    def lut(self, name: str, src: int, fns: list[Fn], scale: float, zp: int, what: str) -> int:
        t = self.tensors[src]
        table = float_table(compose(fns), t.scale, t.zero_point, scale, zp)
        out = self.like(src, scale, zp)
        self.ops.append(LutOp(name, [src], out, table=table, what=what))
        return out

    # -- pending results become operators --------------------------------------------------
    def finish(self, node: onnx.NodeProto, v: Val, scale: float, zp: int) -> int:
        if isinstance(v, PendLinear):
            return self.finish_linear(node, v, scale, zp)
        if isinstance(v, PendAdd):
            a, b = self.tensors[v.a], self.tensors[v.b]
            mults = add_multipliers(a.scale, b.scale, scale)
            lo, hi = _clamp(v.activation, v.clip, scale, zp)
            out = self.like(v.a, scale, zp)
            self.ops.append(AddOp(v.node, [v.a, v.b], out, mults=mults, act_min=lo, act_max=hi))
            return out
        if isinstance(v, PendUnary):
            return self.lut(v.node, v.src, v.fns, scale, zp, " then ".join(v.names))
        if isinstance(v, PendPool):
            return self.finish_pool(v.op, scale, zp)
        if isinstance(v, PendSoftmax):
            t = self.tensors[v.src]
            out = self.like(v.src, scale, zp)
            self.ops.append(
                SoftmaxOp(
                    v.node,
                    [v.src],
                    out,
                    length=t.shape[-1],
                    exp_table=softmax_exp_table(t.scale),
                    out_mult=softmax_output_multiplier(scale),
                )
            )
            return out
        if isinstance(v, PendConcat):
            srcs = []
            for s in v.srcs:
                t = self.tensors[s]
                same = np.isclose(t.scale, scale, rtol=1e-6, atol=0) and t.zero_point == zp
                srcs.append(s if same else self.lut(f"{v.node}/requantize", s, [], scale, zp, "requantize"))
            return self.concat(v.node, srcs)
        raise self.err(node, "QuantizeLinear of an unsupported value")

    def concat(self, name: str, srcs: list[int]) -> int:
        cur = srcs[0]
        for s in srcs[1:]:
            a, b = self.tensors[cur], self.tensors[s]
            shape = (a.shape[0] + b.shape[0], *a.shape[1:])
            out = self.new_tensor(shape, a.scale, a.zero_point)
            self.ops.append(ConcatOp(name, [cur, s], out))
            cur = out
        return cur

    def finish_linear(self, node: onnx.NodeProto, p: PendLinear, s_out: float, zp_out: int) -> int:
        src = self.tensors[p.src]
        s_in, zp_in = src.scale, src.zero_point
        w = p.w.q
        if w.min() < -128 or w.max() > 127:
            raise self.err(node, "weights outside the int8 range")
        n_out = w.shape[0]
        s_w = p.w.qp.scale.reshape(-1)
        if s_w.size not in (1, n_out):
            raise self.err(node, f"{s_w.size} weight scales for {n_out} output channels")
        s_w_full = np.broadcast_to(s_w, (n_out,)).astype(np.float64)
        bias_q = p.bias_q if p.bias_q is not None else np.zeros(n_out, dtype=np.int64)
        bias_float = p.bias_float if p.bias_float is not None else np.zeros(n_out)
        if bias_q.min(initial=0) < INT32_MIN or bias_q.max(initial=0) > INT32_MAX:
            raise ModelError(f"layer {display(p.node)}: bias does not fit int32")
        real = s_in * s_w_full / s_out
        pairs = [quantize_multiplier(float(r)) for r in real]
        requant = Requant("q31", np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32))
        lo, hi = _clamp(p.activation, p.clip, s_out, zp_out)
        common = dict(
            requant=requant,
            act_min=lo,
            act_max=hi,
            activation=p.activation,
            real_multiplier=real,
            weight_scale=s_w_full,
            bias_float=bias_float,
        )
        if p.conv is None:
            order = src.physical_order()
            folded = bias_q - zp_in * w.sum(axis=1)
            if folded.min() < INT32_MIN or folded.max() > INT32_MAX:
                raise ModelError(f"layer {display(p.node)}: bias does not fit int32 after folding the input zero point")
            out = self.new_tensor((n_out,), s_out, zp_out)
            self.ops.append(
                FCOp(
                    p.node,
                    [p.src],
                    out,
                    weights=w[:, order].astype(np.int8),
                    bias=folded.astype(np.int32),
                    **common,  # type: ignore[arg-type]
                )
            )
            return out
        c = p.conv
        out_hw: tuple[int, int] = c["out_hw"]  # type: ignore[assignment]
        oh, ow = out_hw
        shape = (n_out, ow) if len(src.shape) == 2 else (n_out, oh, ow)
        out = self.new_tensor(shape, s_out, zp_out)
        self.ops.append(
            ConvOp(
                p.node,
                [p.src],
                out,
                weights=c["weights"],  # type: ignore[arg-type]
                bias=bias_q.astype(np.int32),
                kernel=c["kernel"],  # type: ignore[arg-type]
                stride=c["stride"],  # type: ignore[arg-type]
                dilation=c["dilation"],  # type: ignore[arg-type]
                pads=c["pads"],  # type: ignore[arg-type]
                depth_multiplier=c["multiplier"],  # type: ignore[arg-type]
                **common,  # type: ignore[arg-type]
            )
        )
        return out

    # -- operators -------------------------------------------------------------------------
    def _weight(self, node: onnx.NodeProto, name: str) -> QConst:
        if name not in self.qconsts:
            raise self.err(node, "the weight must be a quantized constant (DequantizeLinear of an initializer)")
        w = self.qconsts[name]
        if w.qp.dtype != "int8":
            raise self.err(node, f"weights must be int8, got {w.qp.dtype}")
        if w.qp.zero_point.size and np.any(w.qp.zero_point != 0):
            raise self.err(node, "weights must be symmetric (zero point 0)")
        if w.qp.scale.size > 1 and w.qp.axis % w.q.ndim != 0:
            raise self.err(node, "per-channel weight scales must be per output channel (axis 0)")
        return w

    def _bias(self, node: onnx.NodeProto, p: PendLinear, name: str) -> None:
        out = p.w.q.shape[0]
        s_in = self.tensors[p.src].scale
        acc_scale = s_in * np.broadcast_to(p.w.qp.scale.reshape(-1), (out,))
        bias_q = None
        if name in self.qconsts:
            b = self.qconsts[name]
            bias_float = b.dequantized().reshape(-1)
            if b.qp.dtype == "int32" and np.allclose(
                np.broadcast_to(b.qp.scale.reshape(-1), (out,)), acc_scale, rtol=1e-5
            ):
                bias_q = b.q.reshape(-1).astype(np.int64)
        elif name in self.consts:
            bias_float = np.asarray(self.consts[name], dtype=np.float64).reshape(-1)
        else:
            raise self.err(node, "the bias must be a constant")
        if bias_float.size != out:
            raise self.err(node, f"bias has {bias_float.size} values for {out} outputs")
        p.bias_float = bias_float
        p.bias_q = bias_q if bias_q is not None else np.rint(bias_float / acc_scale).astype(np.int64)

    def g_Conv(self, node: onnx.NodeProto) -> None:
        src = self.dq(node)
        t = self.tensors[src]
        if len(t.shape) not in (2, 3):
            raise self.err(node, f"Conv input must be [N, C, L] or [N, C, H, W], got {['N', *t.shape]}")
        self._no_auto_pad(node)
        w = self._weight(node, node.input[1])
        rank = len(t.shape) - 1
        if w.q.ndim != rank + 2:
            raise self.err(node, f"weights of shape {list(w.q.shape)} for a {rank}-D conv")
        group = int(self.attr(node, "group", 1))  # type: ignore[call-overload]
        c_in = t.shape[0]
        c_out = w.q.shape[0]
        k = list(w.q.shape[2:])
        ks = _ints(self.attr(node, "kernel_shape", k))
        if ks != k:
            raise self.err(node, f"kernel_shape {ks} differs from the weights' {k}")
        strides = _ints(self.attr(node, "strides", [1] * rank))
        dil = _ints(self.attr(node, "dilations", [1] * rank))
        pads = _ints(self.attr(node, "pads", [0] * 2 * rank))
        if min(strides) < 1 or min(dil) < 1 or min(pads) < 0:
            raise self.err(node, f"strides {strides}, dilations {dil} and pads {pads} must be positive")
        if rank == 1:
            k, strides, dil = [1, *k], [1, *strides], [1, *dil]
            pads = [0, pads[0], 0, pads[1]]
        pads4 = (pads[0], pads[1], pads[2], pads[3])
        h, wd = t.hwc[0], t.hwc[1]
        oh = (h + pads4[0] + pads4[2] - dil[0] * (k[0] - 1) - 1) // strides[0] + 1
        ow = (wd + pads4[1] + pads4[3] - dil[1] * (k[1] - 1) - 1) // strides[1] + 1
        if oh < 1 or ow < 1:
            raise self.err(node, "the kernel is larger than the padded input")
        q = w.q.reshape(c_out, w.q.shape[1], k[0], k[1])
        if group == 1:
            if w.q.shape[1] != c_in:
                raise self.err(node, f"weights expect {w.q.shape[1]} input channels, the input has {c_in}")
            weights = q.transpose(0, 2, 3, 1).astype(np.int8)  # [Co][KH][KW][Ci]
            mult = 0
        elif group == c_in and w.q.shape[1] == 1 and c_out % c_in == 0:
            weights = q[:, 0].transpose(1, 2, 0).astype(np.int8)  # [KH][KW][Co]
            mult = c_out // c_in
        else:
            raise self.err(node, f"group={group} is not supported (1, or depthwise: group = input channels)")
        conv = {
            "weights": weights,
            "kernel": (k[0], k[1]),
            "stride": (strides[0], strides[1]),
            "dilation": (dil[0], dil[1]),
            "pads": pads4,
            "multiplier": mult,
            "out_hw": (oh, ow),
        }
        p = PendLinear(node.name or node.output[0], src, w, conv)
        if len(node.input) > 2 and node.input[2]:
            self._bias(node, p, node.input[2])
        self.vals[node.output[0]] = p

    def _fc(self, node: onnx.NodeProto, x: str, w_name: str, transpose: bool) -> PendLinear:
        v = self.val(node, x)
        if not isinstance(v, DQ):
            raise self.err(node, "the input must be a DequantizeLinear output (a quantized activation)")
        t = self.tensors[v.tid]
        if len(t.shape) != 1:
            raise self.err(node, f"the input has shape {['N', *t.shape]}; Flatten it first")
        w = self._weight(node, w_name)
        if w.q.ndim != 2:
            raise self.err(node, f"weights must be 2-D, got shape {list(w.q.shape)}")
        q, qp = w.q, QParams(w.qp.scale, w.qp.zero_point, w.qp.dtype, w.qp.axis % 2)
        if transpose:
            q, qp.axis = q.T, 1 - qp.axis
        if qp.scale.size > 1 and qp.axis != 0:
            raise self.err(node, "per-channel weight scales must be per output channel")
        if q.shape[1] != t.size:
            raise self.err(node, f"weights expect {q.shape[1]} inputs, the input has {t.size}")
        return PendLinear(node.name or node.output[0], v.tid, QConst(q, qp), None)

    def g_Gemm(self, node: onnx.NodeProto) -> None:
        if float(self.attr(node, "alpha", 1.0)) != 1.0 or float(self.attr(node, "beta", 1.0)) != 1.0:  # type: ignore[arg-type]
            raise self.err(node, "alpha and beta must be 1")
        if int(self.attr(node, "transA", 0)):  # type: ignore[call-overload]
            raise self.err(node, "transA is not supported")
        p = self._fc(node, node.input[0], node.input[1], not int(self.attr(node, "transB", 0)))  # type: ignore[call-overload]
        if len(node.input) > 2 and node.input[2]:
            self._bias(node, p, node.input[2])
        self.vals[node.output[0]] = p

    def g_MatMul(self, node: onnx.NodeProto) -> None:
        self.vals[node.output[0]] = self._fc(node, node.input[0], node.input[1], True)

    def g_Add(self, node: onnx.NodeProto) -> None:
        a, b = (self.val(node, i) if i in self.vals else None for i in node.input[:2])
        if isinstance(b, PendLinear):
            a, b = b, a
            names = [node.input[1], node.input[0]]
        else:
            names = list(node.input[:2])
        if isinstance(a, PendLinear):
            if a.bias_float is not None or a.activation != "none":
                raise self.err(node, "Add after a layer that already has a bias or an activation")
            self._bias(node, a, names[1])
            self.vals[node.output[0]] = a
            return
        if isinstance(a, DQ) and isinstance(b, DQ):
            ta, tb = self.tensors[a.tid], self.tensors[b.tid]
            if ta.shape != tb.shape or ta.flat_of != tb.flat_of:
                raise self.err(node, f"Add of shapes {list(ta.shape)} and {list(tb.shape)}: no broadcasting")
            self.vals[node.output[0]] = PendAdd(node.name or node.output[0], a.tid, b.tid)
            return
        raise self.err(node, "Add must join two quantized activations or be the bias of a MatMul")

    def unary(self, node: onnx.NodeProto) -> None:
        v = self.val(node, node.input[0])
        consts: list[float | None] = []
        for i in node.input[1:3]:
            if not i:
                consts.append(None)
            elif i in self.consts:
                consts.append(float(np.asarray(self.consts[i]).reshape(-1)[0]))
            else:
                raise self.err(node, "Clip bounds must be constants")
        while len(consts) < 2:
            consts.append(None)
        fn = unary_function(node.op_type, lambda n, d: self.attr(node, n, d), consts)
        assert fn is not None  # UNARY_OPS lists only functions unary_function knows
        if isinstance(v, PendLinear | PendAdd) and node.op_type in ("Relu", "Clip"):
            if v.activation != "none":
                raise self.err(node, "two activations in a row after a layer are not supported")
            v.activation = "relu" if node.op_type == "Relu" else "clip"
            if node.op_type == "Clip":
                lo = consts[0] if consts[0] is not None else float(self.attr(node, "min", -np.inf))  # type: ignore[arg-type]
                hi = consts[1] if consts[1] is not None else float(self.attr(node, "max", np.inf))  # type: ignore[arg-type]
                v.clip = (lo, hi)
            self.vals[node.output[0]] = v
            return
        if isinstance(v, DQ):
            self.vals[node.output[0]] = PendUnary(node.name or node.output[0], v.tid, [fn], [node.op_type])
            return
        if isinstance(v, PendUnary):
            self.vals[node.output[0]] = PendUnary(v.node, v.src, [*v.fns, fn], [*v.names, node.op_type])
            return
        raise self.err(node, NOT_QUANTIZED)

    def _no_auto_pad(self, node: onnx.NodeProto) -> None:
        ap = self.attr(node, "auto_pad", "NOTSET")
        text = ap.decode(errors="replace") if isinstance(ap, bytes) else str(ap)
        if text != "NOTSET":
            raise self.err(node, f"auto_pad={text[:20]!r} is not supported; export with explicit pads")

    def _pool_attrs(self, node: onnx.NodeProto, rank: int) -> tuple[list[int], list[int], list[int]]:
        self._no_auto_pad(node)
        if int(self.attr(node, "ceil_mode", 0)):  # type: ignore[call-overload]
            raise self.err(node, "ceil_mode=1 is not supported")
        if int(self.attr(node, "storage_order", 0)):  # type: ignore[call-overload]
            raise self.err(node, "storage_order=1 is not supported")
        if any(d != 1 for d in _ints(self.attr(node, "dilations", [1] * rank))):
            raise self.err(node, "pooling with dilation is not supported")
        k = _ints(self.attr(node, "kernel_shape", []))
        if len(k) != rank:
            raise self.err(node, f"kernel_shape {k} for a {rank}-D input")
        s = _ints(self.attr(node, "strides", [1] * rank))
        p = _ints(self.attr(node, "pads", [0] * 2 * rank))
        if rank == 1:
            return [1, *k], [1, *s], [0, p[0], 0, p[1]]
        return k, s, p

    def _pool(self, node: onnx.NodeProto, mode: str) -> None:
        src = self.dq(node)
        t = self.tensors[src]
        if len(t.shape) not in (2, 3):
            raise self.err(node, f"pooling needs [N, C, L] or [N, C, H, W], got {['N', *t.shape]}")
        rank = len(t.shape) - 1
        if mode == "global":
            h, w = t.hwc[0], t.hwc[1]
            k, s, p = [h, w], [1, 1], [0, 0, 0, 0]
            include = True
        else:
            k, s, p = self._pool_attrs(node, rank)
            include = bool(int(self.attr(node, "count_include_pad", 0)))  # type: ignore[call-overload]
            if min(s) < 1 or min(p) < 0 or min(k) < 1:
                raise self.err(node, "kernel, strides and pads must be positive")
            if max(p[0], p[2]) >= k[0] or max(p[1], p[3]) >= k[1]:
                raise self.err(node, "pads must be smaller than the kernel")
        h, w = t.hwc[0], t.hwc[1]
        oh = (h + p[0] + p[2] - k[0]) // s[0] + 1
        ow = (w + p[1] + p[3] - k[1]) // s[1] + 1
        if oh < 1 or ow < 1:
            raise self.err(node, "the window is larger than the padded input")
        op = PoolOp(
            node.name or node.output[0],
            [src],
            -1,
            mode="max" if mode == "max" else "avg",
            kernel=(k[0], k[1]),
            stride=(s[0], s[1]),
            pads=(p[0], p[1], p[2], p[3]),
            count_include_pad=include,
            rescale=[(oh, ow)],  # the output size until finish_pool
        )
        if mode == "max":  # max commutes with any scale: the input's, requantized later if needed
            self.vals[node.output[0]] = DQ(self.finish_pool(op, t.scale, t.zero_point))
        else:
            self.vals[node.output[0]] = PendPool(op)

    def g_MaxPool(self, node: onnx.NodeProto) -> None:
        if len(node.output) > 1 and node.output[1]:
            raise self.err(node, "the Indices output is not supported")
        self._pool(node, "max")

    def g_AveragePool(self, node: onnx.NodeProto) -> None:
        self._pool(node, "avg")

    def g_GlobalAveragePool(self, node: onnx.NodeProto) -> None:
        self._pool(node, "global")

    def g_Softmax(self, node: onnx.NodeProto) -> None:
        if not isinstance(self.val(node, node.input[0]), DQ):
            raise self.err(node, NOT_QUANTIZED)
        src = self.dq(node)
        t = self.tensors[src]
        axis = int(self.attr(node, "axis", -1))  # type: ignore[call-overload]
        if len(t.shape) != 1 or axis not in (-1, 1):
            raise self.err(node, "Softmax is supported over the features of a [N, F] tensor (axis -1 or 1)")
        self.vals[node.output[0]] = PendSoftmax(node.name or node.output[0], src)

    def g_Concat(self, node: onnx.NodeProto) -> None:
        srcs = [self.dq(node, i) for i in range(len(node.input))]
        ts = [self.tensors[s] for s in srcs]
        axis = int(self.attr(node, "axis", 1))  # type: ignore[call-overload]
        rank = len(ts[0].shape)
        if axis not in (1, -rank):
            raise self.err(node, "Concat is supported on the channel axis (1) only")
        if any(t.shape[1:] != ts[0].shape[1:] or len(t.shape) != rank for t in ts):
            raise self.err(node, "Concat inputs differ in a non-channel dimension")
        if any(t.flat_of is not None for t in ts):
            raise self.err(node, "Concat of flattened conv outputs is not supported; concatenate before Flatten")
        if all(np.isclose(t.scale, ts[0].scale, rtol=1e-6, atol=0) and t.zero_point == ts[0].zero_point for t in ts):
            self.vals[node.output[0]] = DQ(self.concat(node.name or node.output[0], srcs))
        else:
            self.vals[node.output[0]] = PendConcat(node.name or node.output[0], srcs)

    def _alias(self, node: onnx.NodeProto, shape: tuple[int, ...]) -> None:
        v = self.val(node, node.input[0])
        if not isinstance(v, QT | DQ):
            raise self.err(node, "only a quantized activation can be reshaped")
        t = self.tensors[v.tid]
        if int(np.prod(shape)) != t.size:
            raise self.err(node, f"cannot reshape {t.size} values to {list(shape)}")
        if tuple(shape) == tuple(t.shape):  # e.g. x.view(x.size(0), -1) of an already flat input: nothing to do
            self.vals[node.output[0]] = v
            return
        flat_of = None
        if len(shape) == 1:
            if t.flat_of is not None:
                flat_of = t.flat_of
            elif t.channels_last_differs:
                flat_of = (t.hwc[2], t.size // t.hwc[2])
        new = Tensor(-1, shape, t.scale, t.zero_point, t.buf, flat_of)
        if not np.array_equal(new.physical_order(), t.physical_order()):
            raise self.err(node, f"a Reshape from {list(t.shape)} to {list(shape)} reorders channels-last data")
        tid = self.new_tensor(shape, t.scale, t.zero_point, buf=t.buf, flat_of=flat_of)
        if v.tid == self.input_tid:
            raise self.err(node, "reshaping the model input directly is not supported")
        self.vals[node.output[0]] = QT(tid) if isinstance(v, QT) else DQ(tid)

    def g_Flatten(self, node: onnx.NodeProto) -> None:
        if int(self.attr(node, "axis", 1)) != 1:  # type: ignore[call-overload]
            raise self.err(node, "only Flatten with axis 1 is supported")
        v = self.val(node, node.input[0])
        if isinstance(v, QT | DQ):
            self._alias(node, (self.tensors[v.tid].size,))
        else:
            raise self.err(node, "only a quantized activation can be flattened")

    def g_Reshape(self, node: onnx.NodeProto) -> None:
        shape = self.consts.get(node.input[1]) if len(node.input) > 1 else None
        if len(node.input) > 1 and node.input[1] in self.shape_vals:
            try:
                shape = np.asarray(reshape_target(self.shape_vals[node.input[1]]), dtype=np.int64)
            except ValueError as exc:
                raise self.err(node, str(exc)) from None
        v = self.val(node, node.input[0])
        if shape is None or not isinstance(v, QT | DQ):
            raise self.err(node, "only a Reshape of a quantized activation to a constant shape is supported")
        t = self.tensors[v.tid]
        target = [int(s) for s in np.asarray(shape).reshape(-1)]
        full = [1, *t.shape]
        target = [full[i] if s == 0 and i < len(full) else s for i, s in enumerate(target)]
        try:
            new = np.empty(full, dtype=np.int8).reshape(target).shape
        except ValueError:
            raise self.err(node, f"cannot reshape {list(full)} to {target}") from None
        if len(new) < 2 or new[0] != 1:
            raise self.err(node, f"the Reshape to {target} must keep the batch axis first")
        self._alias(node, tuple(int(s) for s in new[1:]))

    def g_Identity(self, node: onnx.NodeProto) -> None:
        self.vals[node.output[0]] = self.val(node, node.input[0])


def _clamp(activation: str, clip: tuple[float, float] | None, scale: float, zp: int) -> tuple[int, int]:
    lo, hi = -128, 127
    if activation == "relu":
        lo = max(lo, zp)
    elif activation == "clip" and clip is not None:
        if np.isfinite(clip[0]):
            lo = max(lo, int(quantize(np.array(clip[0]), scale, zp)))
        if np.isfinite(clip[1]):
            hi = min(hi, int(quantize(np.array(clip[1]), scale, zp)))
    return lo, hi


def import_graph(path: Path, name: str | None = None, proto: onnx.ModelProto | None = None) -> GModel:
    """Import a QDQ ONNX conv graph; raises ModelError naming the file and the node."""
    path = Path(path)
    files: list[str] = []
    if proto is None:
        proto, files = load_onnx(path)
    try:
        model = GraphImporter(proto).build(name or c_identifier(path.stem))
    except ModelError as exc:
        raise ModelError(f"{path_text(path)}: {exc}") from None
    model.source = str(path)
    model.sha256 = file_sha256(path)
    model.producer = f"{proto.producer_name} {proto.producer_version}".strip()
    # External weights are part of what the headers were made from (the pre-build compares them).
    model.external = [(f, file_sha256(path.parent / f)) for f in files]
    return model
