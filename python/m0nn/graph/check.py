"""`m0nn check` for graph models: per operator, the integer output against the
float (fake-quant) operator fed the same int8 inputs (isolated), and against
the float path fed its own previous outputs (compound); the first operator
beyond tolerance is where to look."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from m0nn.errors import M0nnError
from m0nn.graph.importer import import_graph
from m0nn.graph.ir import AddOp, ConvOp, FCOp, GModel, LutOp, Op, PoolOp, SoftmaxOp
from m0nn.graph.reference import _nhwc, _pad, _windows, run_op
from m0nn.npz import read_data
from m0nn.quant import dequantize, quantize

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def _deq(model: GModel, tid: int, x: I64) -> F64:
    t = model.tensor(tid)
    return dequantize(x, t.scale, t.zero_point)


def float_op(model: GModel, op: Op, xs: list[I64]) -> I64:
    """The QDQ graph's arithmetic for one operator in float64, quantized half to even."""
    dst = model.tensor(op.output)
    src = model.tensor(op.inputs[0])
    n = len(xs[0])
    if isinstance(op, ConvOp):
        x = _pad(_nhwc(src, _deq(model, op.inputs[0], xs[0])), op.pads, 0)
        oh, ow, co = dst.hwc
        y = np.zeros((n, oh, ow, co)) + op.bias_float
        ws = op.weight_scale
        w = op.weights.astype(np.float64)
        for ky, kx, patch in _windows(x, op.kernel, op.stride, op.dilation, (oh, ow)):
            if op.depth_multiplier == 0:
                y += patch @ (w[:, ky, kx, :] * ws[:, None]).T
            else:
                y += np.repeat(patch, op.depth_multiplier, axis=3) * w[ky, kx, :] * ws
        q = quantize(y.reshape(n, -1), dst.scale, dst.zero_point)
        return np.clip(q, op.act_min, op.act_max)
    if isinstance(op, FCOp):
        x = _deq(model, op.inputs[0], xs[0])
        y = x @ (op.weights.astype(np.float64) * op.weight_scale[:, None]).T + op.bias_float
        return np.clip(quantize(y, dst.scale, dst.zero_point), op.act_min, op.act_max)
    if isinstance(op, PoolOp) and op.mode == "avg":
        x = _pad(_nhwc(src, _deq(model, op.inputs[0], xs[0])), op.pads, 0)
        ones = _pad(np.ones((1, src.hwc[0], src.hwc[1], 1)), op.pads, 0)
        oh, ow, c = dst.hwc
        total, count = np.zeros((n, oh, ow, c)), np.zeros((1, oh, ow, 1))
        for (_, _, p), (_, _, o) in zip(
            _windows(x, op.kernel, op.stride, (1, 1), (oh, ow)),
            _windows(ones, op.kernel, op.stride, (1, 1), (oh, ow)),
            strict=True,
        ):
            total, count = total + p, count + o
        if op.count_include_pad:
            count[:] = op.kernel[0] * op.kernel[1]
        return quantize((total / count).reshape(n, -1), dst.scale, dst.zero_point)
    if isinstance(op, AddOp):
        y = _deq(model, op.inputs[0], xs[0]) + _deq(model, op.inputs[1], xs[1])
        return np.clip(quantize(y, dst.scale, dst.zero_point), op.act_min, op.act_max)
    if isinstance(op, SoftmaxOp):
        x = _deq(model, op.inputs[0], xs[0])
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return quantize(e / e.sum(axis=-1, keepdims=True), dst.scale, dst.zero_point)
    if isinstance(op, LutOp):  # the table is the float function
        return op.table[xs[0] + 128]
    return run_op(model, op, dict(zip(op.inputs, xs, strict=True)))  # exact operators


def check_graph(model: GModel, x: F64, y: NDArray[np.generic] | None, tolerance: int, fp32: F64 | None = None) -> str:
    """The per-operator table, then accuracy (class labels) or RMSE (targets) of the fp32
    outputs (when given), the int8 path and the fake-quant path."""
    from m0nn.graph.reference import dequantize_output, quantize_input, run_all
    from m0nn.report import metric

    x_q = quantize_input(model, x)
    outs, out_i = run_all(model, x_q)
    by_buf_int: dict[int, I64] = {model.input_tensor.buf: x_q}
    by_buf_float: dict[int, I64] = {model.input_tensor.buf: x_q}
    lines = [
        f"model {model.name}: {len(model.ops)} operators, {len(x)} samples",
        "differences in output LSBs (int8 path vs float fake-quant path)",
        f"{'op':>3}  {'kind':<10} {'name':<28} {'out':>5}  {'isolated max':>12}  {'differ':>7}  {'compound max':>12}",
    ]
    first = None
    for i, op in enumerate(model.ops):
        ins = [by_buf_int[model.tensor(t).buf] for t in op.inputs]
        fins = [by_buf_float[model.tensor(t).buf] for t in op.inputs]
        yi = outs[i]
        iso = np.abs(yi - float_op(model, op, ins))
        yf = float_op(model, op, fins)
        comp = np.abs(yi - yf)
        by_buf_int[model.tensor(op.output).buf] = yi
        by_buf_float[model.tensor(op.output).buf] = yf
        lines.append(
            f"{i:>3}  {op.kind:<10} {op.name[-28:]:<28} {yi.shape[1]:>5}  {int(iso.max()):>12}  "
            f"{100 * float((iso > 0).mean()):>6.2f}%  {int(comp.max()):>12}"
        )
        if first is None and iso.max() > tolerance:
            first = (i, op.name, int(iso.max()))
    if first is None:
        lines.append(f"first operator beyond tolerance ({tolerance} LSB): none")
    else:
        lines.append(f"first operator beyond tolerance ({tolerance} LSB): {first[0]} ({first[1]}), {first[2]} LSB")
    out_f = by_buf_float[model.output_tensor.buf]
    agree = int((out_i.argmax(1) == out_f.argmax(1)).sum())
    worst = int(np.abs(out_i - out_f).max())
    lines.append(f"end to end: argmax agrees on {agree}/{len(x)}, largest output difference {worst} LSB")
    if y is not None:  # as m0nn.check's format_result
        paths = {} if fp32 is None else {"fp32": fp32}
        paths |= {"int8": dequantize_output(model, out_i), "fake-quant": dequantize_output(model, out_f)}
        scores = {k: metric(v, y) for k, v in paths.items()}
        if next(iter(scores.values()))[0] == "accuracy":
            lines.append("accuracy: " + "  ".join(f"{k} {100 * v:.2f}%" for k, (_, v) in scores.items()))
        else:
            lines.append("rmse: " + "  ".join(f"{k} {v:.5f}" for k, (_, v) in scores.items()))
    return "\n".join(lines)


def run_check(
    args: argparse.Namespace, fp32_outputs: Callable[[F64, tuple[int, ...], int], F64 | None] = lambda *_: None
) -> int:
    """`m0nn check` of a graph model; fp32_outputs(x, input shape, outputs): the fp32
    model's outputs for x, or None (m0nn.cli: --fp32, or fp32/<name> beside the model)."""
    from m0nn.graph.configure import configure_graph
    from m0nn.settings import Settings

    # the integer path as the device runs it: the same settings as `m0nn gen`
    model = configure_graph(import_graph(Path(args.model)), Settings(args.kernel, args.requant, args.min_bits))
    try:
        x, y = read_data(
            Path(args.data), Path(args.labels) if args.labels else None, model.input_shape, model.output_size
        )
    except ValueError as exc:
        raise M0nnError(str(exc)) from None
    print(check_graph(model, x, y, args.tol, fp32_outputs(x, model.input_shape, model.output_size)))
    return 0
