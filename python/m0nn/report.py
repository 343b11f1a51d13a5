"""`m0nn report`: what each requantization precision costs on a given model.

For every requested variant (Q31, the single 32-bit multiply at its widest or
capped width, power-of-two shifts) it reports the task metric of the integer
reference (accuracy, or RMSE for regression), per layer the share of outputs
whose int8 value differs from exact real-valued requantization of the same
accumulators, the largest relative error of the multipliers, and, where the ARM
toolchain is present, Cortex-M0 cycles per inference. A table on the terminal,
a Markdown summary and PNG plots in a folder.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from m0nn import plan
from m0nn.errors import M0nnError, ModelError
from m0nn.model import FCLayer, QModel
from m0nn.reference import dequantize_output, fc_accumulators, fc_s8, quantize_input, run_fake_quant, run_int

DEFAULT_VARIANTS = ("q31", "mul32", "mul32:12", "mul32:8", "mul32:6", "mul32:4", "pow2")


def configure_variant(model: QModel, variant: str, kernel: str = "b8") -> QModel:
    """A copy of `model` with every layer requantized as `variant` says."""
    out = copy.deepcopy(model)
    for layer in out.layers:
        layer.kernel = kernel
        if variant == "q31":
            layer.requant, layer.multiplier_bits = plan.q31(layer), 31
        elif variant == "pow2":
            layer.requant, layer.multiplier_bits = plan.pow2(layer), 1
        elif variant.startswith("mul32"):
            cap = int(variant.split(":")[1]) if ":" in variant else 31
            layer.requant, layer.multiplier_bits = plan.mul32(layer, cap)
        else:
            raise M0nnError(f"unknown variant {variant!r} (q31, mul32, mul32:BITS, pow2)")
    return out


def effective_multiplier(layer: FCLayer) -> NDArray[np.float64]:
    rq = layer.requant
    m = rq.multiplier.astype(np.float64)
    s = rq.shift.astype(np.float64)
    if rq.mode == "q31":
        return m * 2.0 ** (s - 31)
    if rq.mode == "mul32":
        return m * 2.0**s
    return 2.0**s


def exact_requant(layer: FCLayer, acc: NDArray[np.int64]) -> NDArray[np.int64]:
    """Real-valued requantization of the same accumulators: round(acc * real) + zp, clamped."""
    real = np.broadcast_to(layer.real_multiplier, (layer.out_size,))
    y = np.rint(acc * real) + layer.output_zero_point
    return np.clip(y, layer.act_min, layer.act_max).astype(np.int64)


def metric_name(y: NDArray[np.generic] | None) -> str:
    if y is None:
        return "none"
    return "accuracy" if np.issubdtype(np.asarray(y).dtype, np.integer) and np.asarray(y).ndim == 1 else "rmse"


def metric(y_pred: NDArray[np.float64], y: NDArray[np.generic] | None) -> tuple[str, float]:
    """("accuracy", share of correct argmax) for class labels, ("rmse", ...) for targets."""
    name = metric_name(y)
    if y is None:
        return name, float("nan")
    if name == "accuracy":
        return "accuracy", float((y_pred.argmax(1) == y).mean())
    err = y_pred - np.asarray(y, dtype=np.float64).reshape(y_pred.shape)
    return "rmse", float(np.sqrt(np.mean(err**2)))


@dataclass
class VariantResult:
    variant: str
    metric: float
    min_bits: int
    multiplier_rel_error: float
    differ_share: list[float]
    cycles: int | None = None


@dataclass
class Report:
    model: str
    metric_name: str
    fp32: float | None
    fake_quant: float
    variants: list[VariantResult] = field(default_factory=list)


def evaluate(model: QModel, variant: str, x: NDArray[np.float64], y: NDArray[np.generic] | None) -> VariantResult:
    m = configure_variant(model, variant)
    x_q = quantize_input(m, x)
    shares = []
    h: NDArray[np.integer] = x_q
    rel = 0.0
    for layer in m.layers:
        acc = fc_accumulators(layer, h)
        out = fc_s8(layer, h)
        shares.append(float((out.astype(np.int64) != exact_requant(layer, acc)).mean()))
        eff = effective_multiplier(layer)
        real = np.broadcast_to(layer.real_multiplier, eff.shape)
        rel = max(rel, float(np.max(np.abs(eff - real) / real)))
        h = out
    y_pred = dequantize_output(m, run_int(m, x_q)[-1])
    return VariantResult(variant, metric(y_pred, y)[1], min(layer.multiplier_bits for layer in m.layers), rel, shares)


def m0_cycles(model: QModel, variant: str) -> int | None:
    import shutil

    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        return None
    from m0nn.bench import measure_configured

    m = configure_variant(model, variant)
    m.name = "bench"
    with tempfile.TemporaryDirectory(prefix="m0nn_report_") as tmp:
        result = measure_configured(model.name, variant, m, f"report variant={variant}", Path(tmp), boards=False)
        return result.cycles["M0/1"]


def build_report(
    model: QModel,
    x: NDArray[np.float64],
    y: NDArray[np.generic] | None,
    fp32: NDArray[np.float64] | None,
    variants: tuple[str, ...] = DEFAULT_VARIANTS,
    cycles: bool = True,
) -> Report:
    name = metric_name(y)
    fq = dequantize_output(model, run_fake_quant(model, x)[-1])
    rep = Report(model.name, name, metric(fp32, y)[1] if fp32 is not None else None, metric(fq, y)[1])
    for v in variants:
        try:
            r = evaluate(model, v, x, y)
        except ModelError as exc:
            print(f"m0nn report: {v}: not possible for this model ({exc})")
            continue
        if cycles:
            r.cycles = m0_cycles(model, v)
        rep.variants.append(r)
    return rep


def _fmt(name: str, v: float | None) -> str:
    if v is None or np.isnan(v):
        return "-"
    return f"{100 * v:.2f}%" if name == "accuracy" else f"{v:.5f}"


def table(rep: Report) -> str:
    lines = [
        f"model {rep.model}: {rep.metric_name} fp32 {_fmt(rep.metric_name, rep.fp32)}, "
        f"fake-quant {_fmt(rep.metric_name, rep.fake_quant)}",
        f"{'variant':<10} {'int8 ' + rep.metric_name:>14} {'mult bits':>9} {'max rel err':>11} "
        f"{'M0 cycles':>9}  outputs differing from exact requantization, per layer",
    ]
    for r in rep.variants:
        shares = " ".join(f"{100 * s:5.1f}%" for s in r.differ_share)
        cyc = str(r.cycles) if r.cycles is not None else "-"
        lines.append(
            f"{r.variant:<10} {_fmt(rep.metric_name, r.metric):>14} {r.min_bits:>9} "
            f"{r.multiplier_rel_error:>11.2e} {cyc:>9}  {shares}"
        )
    return "\n".join(lines)


def write(rep: Report, out_dir: Path, title: str = "") -> list[Path]:
    """report.md and two PNG plots in out_dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    names = [r.variant for r in rep.variants]
    fig, ax = plt.subplots(figsize=(8.5, 3.6), dpi=110)
    ax.bar(names, [r.metric for r in rep.variants], color="#4a7ab5", label="int8 (integer reference)")
    if rep.fp32 is not None:
        ax.axhline(rep.fp32, color="#b54a4a", linestyle="--", label="fp32")
    ax.axhline(rep.fake_quant, color="#555555", linestyle=":", label="fake-quant (float)")
    ax.set_ylabel(rep.metric_name)
    ax.set_title(title or f"{rep.model}: {rep.metric_name} by requantization")
    vals = [r.metric for r in rep.variants] + [rep.fake_quant] + ([rep.fp32] if rep.fp32 is not None else [])
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.5 + 1e-3
    ax.set_ylim(max(0.0, lo - pad), hi + pad)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    metric_png = out_dir / f"{rep.model}_metric.png"
    fig.savefig(metric_png)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    n_layers = len(rep.variants[0].differ_share) if rep.variants else 0
    width = 0.8 / max(n_layers, 1)
    for k in range(n_layers):
        ax.bar(
            np.arange(len(names)) + k * width - 0.4 + width / 2,
            [100 * r.differ_share[k] for r in rep.variants],
            width,
            label=f"layer {k}",
        )
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_ylabel("% outputs != exact requantization")
    ax.set_title(f"{rep.model}: int8 outputs that differ from real-valued requantization")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    layers_png = out_dir / f"{rep.model}_layers.png"
    fig.savefig(layers_png)
    plt.close(fig)

    md = out_dir / f"{rep.model}_report.md"
    md.write_text(
        f"# {title or rep.model}\n\nWritten by `m0nn report`.\n\n```\n{table(rep)}\n```\n\n"
        f"![{rep.metric_name}]({metric_png.name})\n\n![layers]({layers_png.name})\n"
    )
    return [md, metric_png, layers_png]
