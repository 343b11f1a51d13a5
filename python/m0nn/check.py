"""`m0nn check`: where does the integer path leave the float path?

Per layer, two numbers in output LSBs:
  isolated  - the integer layer against the float (fake-quant) layer, both fed
              the same int8 input: the error this layer's requantization adds;
  compound  - the integer path against the float path, each fed its own previous
              output: how far the paths have drifted by this layer.
The first layer whose isolated error exceeds the tolerance is where to look.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from m0nn.errors import M0nnError
from m0nn.model import QModel
from m0nn.names import path_text
from m0nn.npz import first_line, read_data
from m0nn.reference import dequantize_output, fake_quant_layer, quantize_input, run_fake_quant, run_int


@dataclass
class LayerDiff:
    index: int
    name: str
    out_size: int
    isolated_max: int
    isolated_share: float
    compound_max: int


@dataclass
class CheckResult:
    layers: list[LayerDiff]
    first_divergent: int | None
    n: int
    argmax_agree: int
    output_max_diff: int
    accuracy: dict[str, float]
    rmse: dict[str, float]


def load_data(data: Path, labels: Path | None, model: QModel) -> tuple[NDArray[np.float64], NDArray[np.generic] | None]:
    """x [N, features] and y (or None) for `model` (npz.read_data; M0nnError `<file>: <problem>`):
    y is N class indices (integers) or N targets per output."""
    try:
        return read_data(data, labels, (model.input_size,), model.output_size)
    except ValueError as exc:
        raise M0nnError(str(exc)) from None


def run_fp32(
    path: Path, x: NDArray[np.float64], shape: tuple[int, ...] | None = None, outputs: int | None = None
) -> NDArray[np.float64]:
    """The fp32 model through onnxruntime (optional: pip install 'm0nn[check]'; m0nn.cli says so
    when it is missing), fed x [N, features] as [N, *shape] (a conv model's input shape) and
    giving [N, outputs]. A model onnxruntime cannot run on x, or one of another output size,
    is M0nnError `<file>: <problem>`."""
    import onnxruntime as ort

    feed = x.reshape(len(x), *shape) if shape else x
    try:
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        out = np.asarray(sess.run(None, {name: feed.astype(np.float32)})[0], dtype=np.float64)
    except Exception as exc:  # onnxruntime's own error types (Fail, InvalidArgument, ...), not one base class
        why = first_line(exc)
        raise M0nnError(f"{path_text(path)}: onnxruntime cannot run it on x {list(feed.shape)}: {why}") from None
    if outputs is None:
        return out
    if out.size != len(x) * outputs:
        raise M0nnError(f"{path_text(path)}: gives output shape {list(out.shape)}, the int8 model [N, {outputs}]")
    return out.reshape(len(x), outputs)


def check(
    model: QModel,
    x: NDArray[np.float64],
    y: NDArray[np.generic] | None,
    fp32: NDArray[np.float64] | None = None,
    tolerance: int = 1,
) -> CheckResult:
    if x.shape[1] != model.input_size:
        raise M0nnError(f"data has {x.shape[1]} features, the model takes {model.input_size}")
    x_q = quantize_input(model, x)
    ints = run_int(model, x_q)
    floats = run_fake_quant(model, x)
    layers = []
    first = None
    prev: NDArray[np.integer] = x_q
    for i, (layer, yi, yf) in enumerate(zip(model.layers, ints, floats, strict=True)):
        iso = np.abs(yi.astype(np.int64) - fake_quant_layer(layer, prev))
        comp = np.abs(yi.astype(np.int64) - yf)
        layers.append(
            LayerDiff(i, layer.name, layer.out_size, int(iso.max()), float((iso > 0).mean()), int(comp.max()))
        )
        if first is None and iso.max() > tolerance:
            first = i
        prev = yi
    out_i, out_f = ints[-1].astype(np.int64), floats[-1]
    accuracy: dict[str, float] = {}
    rmse: dict[str, float] = {}
    paths = {"int8": dequantize_output(model, out_i), "fake-quant": dequantize_output(model, out_f)}
    if fp32 is not None:
        paths = {"fp32": fp32, **paths}
    if y is not None:
        classify = np.issubdtype(np.asarray(y).dtype, np.integer) and y.ndim == 1
        for k, v in paths.items():
            if classify:
                accuracy[k] = float((v.argmax(1) == y).mean())
            else:
                rmse[k] = float(np.sqrt(np.mean((v - np.asarray(y, dtype=np.float64).reshape(v.shape)) ** 2)))
    return CheckResult(
        layers=layers,
        first_divergent=first,
        n=len(x),
        argmax_agree=int((out_i.argmax(1) == out_f.argmax(1)).sum()),
        output_max_diff=int(np.abs(out_i - out_f).max()),
        accuracy=accuracy,
        rmse=rmse,
    )


def format_result(model: QModel, r: CheckResult, tolerance: int) -> str:
    rq = ", ".join(f"{layer.requant.mode}/{layer.multiplier_bits}b" for layer in model.layers)
    lines = [
        f"model {model.name}: {len(model.layers)} layers, {r.n} samples; requantization (mode/multiplier bits): {rq}",
        "differences in output LSBs (int8 path vs float fake-quant path)",
        f"{'layer':>5}  {'name':<28} {'out':>4}  {'isolated max':>12}  {'differ':>7}  {'compound max':>12}",
    ]
    for d in r.layers:
        lines.append(
            f"{d.index:>5}  {d.name[-28:]:<28} {d.out_size:>4}  {d.isolated_max:>12}  "
            f"{100 * d.isolated_share:>6.2f}%  {d.compound_max:>12}"
        )
    if r.first_divergent is None:
        lines.append(f"first layer beyond tolerance ({tolerance} LSB): none")
    else:
        d = r.layers[r.first_divergent]
        lines.append(f"first layer beyond tolerance ({tolerance} LSB): {d.index} ({d.name}), {d.isolated_max} LSB")
    lines.append(
        f"end to end: argmax agrees on {r.argmax_agree}/{r.n} ({100 * r.argmax_agree / r.n:.2f}%), "
        f"largest output difference {r.output_max_diff} LSB"
    )
    if r.accuracy:
        lines.append("accuracy: " + "  ".join(f"{k} {100 * v:.2f}%" for k, v in r.accuracy.items()))
    if r.rmse:
        lines.append("rmse: " + "  ".join(f"{k} {v:.5f}" for k, v in r.rmse.items()))
    return "\n".join(lines)
