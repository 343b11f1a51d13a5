"""The integer reference of graph models: exactly what lib/m0nn's graph
kernels compute, in numpy, on the stored (channels-last) layout. Also the
float (fake-quant) path of each operator for `m0nn check`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
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
from m0nn.names import display
from m0nn.quant import (
    INT32_MAX,
    INT32_MIN,
    add_s8,
    average_s8,
    dequantize,
    quantize,
    requantize,
    requantize_q31,
    softmax_s8,
)

I64 = NDArray[np.int64]


def _nhwc(t: Tensor, x: NDArray[Any]) -> NDArray[Any]:
    h, w, c = t.hwc
    return x.reshape(len(x), h, w, c)


def _windows(
    x: NDArray[Any], kernel: tuple[int, int], stride: tuple[int, int], dil: tuple[int, int], out_hw: tuple[int, int]
) -> Iterator[tuple[int, int, NDArray[Any]]]:
    """Yield (ky, kx, x[:, oy*sh + ky*dh, ox*sw + kx*dw, :]) over a padded input."""
    oh, ow = out_hw
    (sh, sw) = stride
    for ky in range(kernel[0]):
        for kx in range(kernel[1]):
            y0, x0 = ky * dil[0], kx * dil[1]
            yield ky, kx, x[:, y0 : y0 + sh * (oh - 1) + 1 : sh, x0 : x0 + sw * (ow - 1) + 1 : sw, :]


def _pad(x: NDArray[Any], pads: tuple[int, int, int, int], value: int) -> NDArray[Any]:
    top, left, bottom, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _check32(acc: I64, name: str) -> None:
    if np.any((acc < INT32_MIN) | (acc > INT32_MAX)):
        raise ModelError(f"layer {display(name)}: accumulator overflows int32 on this input")


def conv_acc(op: ConvOp, src: Tensor, dst: Tensor, x: I64) -> I64:
    """int32 accumulators [N, OH, OW, Co]: bias + sum (x - zp_in) w over the taps
    inside the input (padding contributes nothing)."""
    xi = _pad(_nhwc(src, x) - src.zero_point, op.pads, 0)
    oh, ow, co = dst.hwc
    acc = np.zeros((len(x), oh, ow, co), np.int64) + op.bias.astype(np.int64)
    w = op.weights.astype(np.int64)
    for ky, kx, patch in _windows(xi, op.kernel, op.stride, op.dilation, (oh, ow)):
        if op.depth_multiplier == 0:
            acc += patch @ w[:, ky, kx, :].T
        else:
            acc += np.repeat(patch, op.depth_multiplier, axis=3) * w[ky, kx, :]
    _check32(acc, op.name)
    return acc


def conv(op: ConvOp, src: Tensor, dst: Tensor, x: I64) -> I64:
    assert op.requant is not None
    y = requantize(conv_acc(op, src, dst, x), op.requant) + dst.zero_point
    return np.clip(y, op.act_min, op.act_max).reshape(len(x), -1)


def fc(op: FCOp, dst: Tensor, x: I64) -> I64:
    """m0nn_fc_s8 with the input zero point folded into the bias."""
    assert op.requant is not None
    acc = x @ op.weights.astype(np.int64).T + op.bias.astype(np.int64)
    _check32(acc, op.name)
    return np.clip(requantize(acc, op.requant) + dst.zero_point, op.act_min, op.act_max)


def pool(op: PoolOp, src: Tensor, dst: Tensor, x: I64) -> I64:
    oh, ow, _ = dst.hwc
    xs = _nhwc(src, x)
    if op.mode == "max":
        xp = _pad(xs, op.pads, -(2**20))
        best = np.full((len(x), oh, ow, dst.hwc[2]), -(2**20), np.int64)
        for _, _, patch in _windows(xp, op.kernel, op.stride, (1, 1), (oh, ow)):
            best = np.maximum(best, patch)
        return best.reshape(len(x), -1)
    xp = _pad(xs - src.zero_point, op.pads, 0)
    ones = _pad(np.ones((1, *xs.shape[1:3], 1), np.int64), op.pads, 0)
    total = np.zeros((len(x), oh, ow, dst.hwc[2]), np.int64)
    count = np.zeros((1, oh, ow, 1), np.int64)
    for (_, _, patch), (_, _, one) in zip(
        _windows(xp, op.kernel, op.stride, (1, 1), (oh, ow)),
        _windows(ones, op.kernel, op.stride, (1, 1), (oh, ow)),
        strict=True,
    ):
        total += patch
        count += one
    if op.count_include_pad:
        count = np.full_like(count, op.kernel[0] * op.kernel[1])
    count = np.broadcast_to(count, total.shape)
    if op.rescale:
        m = np.array([r[0] for r in op.rescale], np.int64)[count - 1]
        s = np.array([r[1] for r in op.rescale], np.int64)[count - 1]
        y = requantize_q31(total << op.pre_shift, m, s) + dst.zero_point
    else:
        y = average_s8(total, count, op.recips) + dst.zero_point
    return np.clip(y, -128, 127).reshape(len(x), -1)


def run_op(model: GModel, op: Op, vals: dict[int, I64]) -> I64:
    """One operator's stored int8 output (int64 array [N, size])."""
    ins = [model.tensor(i) for i in op.inputs]
    dst = model.tensor(op.output)
    xs = [vals[i] for i in op.inputs]
    if isinstance(op, ConvOp):
        return conv(op, ins[0], dst, xs[0])
    if isinstance(op, FCOp):
        return fc(op, dst, xs[0])
    if isinstance(op, PoolOp):
        return pool(op, ins[0], dst, xs[0])
    if isinstance(op, AddOp):
        return add_s8(
            xs[0], xs[1], ins[0].zero_point, ins[1].zero_point, dst.zero_point, op.mults, (op.act_min, op.act_max)
        )
    if isinstance(op, LutOp):
        return op.table[xs[0] + 128]
    if isinstance(op, SoftmaxOp):
        return softmax_s8(xs[0], ins[0].scale, dst.scale, dst.zero_point)
    if isinstance(op, ConcatOp):
        a = xs[0].reshape(len(xs[0]), -1, ins[0].hwc[2])
        b = xs[1].reshape(len(xs[1]), -1, ins[1].hwc[2])
        return np.concatenate([a, b], axis=2).reshape(len(a), -1)
    if isinstance(op, TransposeOp):
        return xs[0].reshape(len(xs[0]), op.rows, op.cols).transpose(0, 2, 1).reshape(len(xs[0]), -1)
    raise ModelError(f"no reference for operator {op.kind}")


def run_all(model: GModel, x_q: NDArray[np.integer]) -> tuple[list[I64], I64]:
    """Every operator's stored output, and the model output, for int8 inputs
    [N, input size] in ONNX order (the output is in ONNX order too)."""
    vals: dict[int, I64] = {}
    x = np.asarray(x_q, np.int64).reshape(len(x_q), -1)
    by_buf = {model.input_tensor.buf: x}
    outs = []
    for op in model.ops:
        for i in op.inputs:
            vals[i] = by_buf[model.tensor(i).buf]
        y = run_op(model, op, vals)
        by_buf[model.tensor(op.output).buf] = y
        outs.append(y)
    return outs, by_buf[model.output_tensor.buf]


def quantize_input(model: GModel, x: NDArray[np.floating]) -> I64:
    t = model.input_tensor
    return quantize(np.asarray(x).reshape(len(x), -1), t.scale, t.zero_point)


def dequantize_output(model: GModel, y: NDArray[np.integer]) -> NDArray[np.float64]:
    t = model.output_tensor
    return dequantize(y, t.scale, t.zero_point)


def run_int(model: GModel, x_q: NDArray[np.integer]) -> I64:
    """The model output in ONNX order for int8 inputs [N, input size]."""
    return run_all(model, x_q)[1]
