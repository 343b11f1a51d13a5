"""The integer reference (exactly what lib/m0nn computes) and the float paths
it is measured against. numpy only."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from m0nn.errors import ModelError
from m0nn.model import FCLayer, QModel
from m0nn.quant import INT32_MAX, INT32_MIN, Requant, dequantize, quantize, requantize

I64 = NDArray[np.int64]


def accumulators(
    x: NDArray[np.integer],
    weights: NDArray[np.integer],
    bias: NDArray[np.integer] | None,
    input_offset: int = 0,
    name: str = "fc",
    weight_zero_point: NDArray[np.integer] | None = None,
) -> NDArray[np.int64]:
    """acc = bias + sum_i (x_i + input_offset) (w_i - weight_zero_point), checked to fit int32."""
    w = np.asarray(weights, dtype=np.int64)
    if weight_zero_point is not None and np.size(weight_zero_point):
        w = w - np.broadcast_to(np.asarray(weight_zero_point, np.int64).reshape(-1), (w.shape[0],))[:, None]
    acc = (np.asarray(x, dtype=np.int64) + input_offset) @ w.T
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64)
    if np.any((acc < INT32_MIN) | (acc > INT32_MAX)):
        raise ModelError(f"layer {name}: accumulator overflows int32 on this input")
    return acc


def fc_accumulators(layer: FCLayer, x: NDArray[np.integer]) -> NDArray[np.int64]:
    return accumulators(x, layer.weights, layer.bias, 0, layer.name, layer.weight_zero_point)


def fc_s8_raw(
    x: NDArray[np.integer],
    weights: NDArray[np.integer],
    bias: NDArray[np.integer] | None,
    input_offset: int,
    output_offset: int,
    act_min: int,
    act_max: int,
    requant: Requant,
    name: str = "fc",
    weight_zero_point: NDArray[np.integer] | None = None,
) -> NDArray[np.int8]:
    """m0nn_fc_s8 with every parameter explicit (the C API's full range):
    acc = bias + sum_i (x_i + input_offset) w_i, checked to fit int32, then
    requantized, offset and clamped."""
    acc = accumulators(x, weights, bias, input_offset, name, weight_zero_point)
    y = requantize(acc, requant) + output_offset
    return np.clip(y, act_min, act_max).astype(np.int8)


def fc_s8(layer: FCLayer, x: NDArray[np.integer]) -> NDArray[np.int8]:
    """One layer of the integer path, bit-exact with m0nn_fc_s8 (input zero point folded)."""
    return fc_s8_raw(
        x,
        layer.weights,
        layer.bias,
        0,
        layer.output_zero_point,
        layer.act_min,
        layer.act_max,
        layer.requant,
        layer.name,
        layer.weight_zero_point,
    )


def run_int(model: QModel, x_q: NDArray[np.integer]) -> list[NDArray[np.int8]]:
    """Every layer's int8 output for int8 inputs shaped [N, input_size]."""
    outputs = []
    h = np.asarray(x_q)
    for layer in model.layers:
        h = fc_s8(layer, h)
        outputs.append(h)
    return outputs


def quantize_input(model: QModel, x: NDArray[np.floating]) -> NDArray[np.int8]:
    return quantize(x, model.input_scale, model.input_zero_point, model.input_min, model.input_max).astype(np.int8)


def dequantize_output(model: QModel, y_q: NDArray[np.integer]) -> NDArray[np.float64]:
    return dequantize(y_q, model.output_scale, model.output_zero_point)


def fake_quant_layer(layer: FCLayer, x_q: NDArray[np.integer]) -> NDArray[np.int64]:
    """The QDQ graph's arithmetic for one layer, in float64: dequantize input and
    weights, float matmul and bias, activation, quantize (half to even). The
    integer path approximates this; the difference is the requantization error."""
    x = dequantize(x_q, layer.input_scale, layer.input_zero_point)
    w = layer.effective_weights.astype(np.float64) * layer.weight_scale[:, None]
    y = x @ w.T + layer.bias_float
    if layer.activation == "relu":
        y = np.maximum(y, 0.0)
    q = quantize(y, layer.output_scale, layer.output_zero_point)
    return np.clip(q, layer.act_min, layer.act_max)


def run_fake_quant(model: QModel, x: NDArray[np.floating]) -> list[NDArray[np.int64]]:
    """Every layer's output on the float (fake-quant) path; each layer is fed the
    float path's previous output, so errors compound as they would in float."""
    outputs = []
    h: NDArray[np.integer] = quantize_input(model, x)
    for layer in model.layers:
        h = fake_quant_layer(layer, h)
        outputs.append(h)
    return outputs
