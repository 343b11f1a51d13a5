"""`m0nn study`: the numerics questions answered with data, for a task.

For each seed: train the fp32 model, then derive int8 models four ways, at 8-
and 4-bit weights: post-training quantization (observed ranges, no training),
QAT with observed scales, QAT with learned scales (LSQ) and QAT with
power-of-two scales. Each is exported to QDQ ONNX, imported, and evaluated by
the integer reference with every requantization variant (m0nn.report). The
result is a Markdown table of mean and spread over seeds, and plots.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from m0nn.report import DEFAULT_VARIANTS, evaluate, metric

METHODS = (("ptq", "observed"), ("qat", "observed"), ("qat", "lsq"), ("qat", "pow2"))
WEIGHT_BITS = (8, 4)


def task_data(task: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int, str]:
    if task == "digits":
        from m0nn import digits

        x_tr, x_te, y_tr, y_te = digits.load_split(seed)
        return x_tr, x_te, y_tr, y_te, 64, 10, "ce"
    if task == "tilt":
        from m0nn import tilt

        x_tr, y_tr = tilt.make_data(4000, seed)
        x_te, y_te = tilt.make_data(400, seed + 1000)
        return x_tr, x_te, y_tr, y_te, 3, 2, "mse"
    raise ValueError(f"unknown task {task!r} (digits, tilt)")


def run_seed(task: str, seed: int, work: Path) -> dict[str, dict[str, float]]:
    """{"fp32": {...}, "<method>-<scales>-w<bits>": {"fake-quant": m, "<variant>": m, ...}}"""
    from m0nn.onnx_import import import_model
    from m0nn.train import MLP, TrainConfig, calibrate, export_qdq_onnx, predict, prepare_qat, train_fp32, train_qat

    x_tr, x_te, y_tr, y_te, n_in, n_out, loss = task_data(task, seed)
    hidden = (32, 32)
    epochs, qat_epochs = (60, 30) if task == "digits" else (60, 20)
    base = TrainConfig(epochs=epochs, qat_epochs=qat_epochs, seed=seed, loss=loss)
    import torch

    torch.manual_seed(seed)  # the initial weights too: every number below depends on the seed alone
    fp32 = train_fp32(MLP(n_in, hidden, n_out), x_tr, y_tr, base)
    out: dict[str, dict[str, float]] = {"fp32": {"fp32": metric(predict(fp32, x_te).astype(np.float64), y_te)[1]}}
    for how, scales in METHODS:
        for bits in WEIGHT_BITS:
            cfg = TrainConfig(**{**base.__dict__, "scale_mode": scales, "weight_bits": bits})
            qat = prepare_qat(fp32, cfg)
            qat = calibrate(qat, x_tr) if how == "ptq" else train_qat(qat, x_tr, y_tr, cfg)
            key = f"{how}-{scales}-w{bits}"
            path = work / f"{task}_{seed}_{key}.onnx"
            export_qdq_onnx(qat, n_in, path)
            model = import_model(path)
            row = {"fake-quant": metric(predict(qat, x_te).astype(np.float64), y_te)[1]}
            for variant in DEFAULT_VARIANTS:
                try:
                    row[variant] = evaluate(model, variant, x_te.astype(np.float64), y_te).metric
                except Exception:  # a variant that cannot represent this model (e.g. overflow)
                    row[variant] = float("nan")
            out[key] = row
            print(f"  {task} seed {seed} {key}: " + " ".join(f"{k} {v:.4f}" for k, v in row.items()),
                  file=sys.stderr, flush=True)  # fmt: skip
    return out


def summarize(task: str, per_seed: list[dict[str, dict[str, float]]]) -> str:
    name = "accuracy (%)" if task == "digits" else "RMSE (degrees)"
    scale = 100.0 if task == "digits" else float(np.rad2deg(1.0))
    cols = ["fake-quant", *DEFAULT_VARIANTS]
    fp = np.array([s["fp32"]["fp32"] for s in per_seed]) * scale
    lines = [
        f"### {task}: {name}, mean ± standard deviation over {len(per_seed)} seeds",
        "",
        f"fp32: {fp.mean():.2f} ± {fp.std(ddof=1) if len(fp) > 1 else 0:.2f}",
        "",
        "| int8 model | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for key in [k for k in per_seed[0] if k != "fp32"]:
        cells = []
        for c in cols:
            v = np.array([s[key][c] for s in per_seed]) * scale
            sd = v.std(ddof=1) if len(v) > 1 else 0.0
            cells.append("-" if np.isnan(v).any() else f"{v.mean():.2f} ± {sd:.2f}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(task: str, per_seed: list[dict[str, dict[str, float]]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale = 100.0 if task == "digits" else float(np.rad2deg(1.0))
    keys = [k for k in per_seed[0] if k != "fp32"]
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    x = np.arange(len(DEFAULT_VARIANTS))
    for key in keys:
        means = [np.mean([s[key][v] for s in per_seed]) * scale for v in DEFAULT_VARIANTS]
        ax.plot(x, means, marker="o", label=key)
    fp = float(np.mean([s["fp32"]["fp32"] for s in per_seed]) * scale)
    ax.axhline(fp, color="black", linestyle="--", label="fp32")
    ax.set_xticks(x, DEFAULT_VARIANTS)
    ax.set_xlabel("requantization (multiplier precision, narrowing to the right)")
    ax.set_ylabel("accuracy (%)" if task == "digits" else "RMSE (degrees)")
    ax.set_title(f"{task}: int8 integer reference, mean over {len(per_seed)} seeds")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path = out / f"study_{task}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def run(task: str, seeds: list[int], out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    per_seed = []
    with tempfile.TemporaryDirectory(prefix="m0nn_study_") as tmp:
        for seed in seeds:
            print(f"m0nn study: {task}, seed {seed} ({time.monotonic() - start:.0f}s)", file=sys.stderr, flush=True)
            per_seed.append(run_seed(task, seed, Path(tmp)))
    (out / f"study_{task}.json").write_text(json.dumps(per_seed, indent=1) + "\n")
    md = summarize(task, per_seed)
    (out / f"study_{task}.md").write_text(
        f"Written by `m0nn study {task} --seeds {' '.join(map(str, seeds))}` (training pinned to ATen's AVX2 "
        "kernels and 2 threads: the same numbers need the same torch wheel and those kernels; "
        "see docs/numerics.md, What is reproducible).\n\n"
        f"{md}\n![{task}](study_{task}.png)\n"
    )
    plot(task, per_seed, out)
    print(md)
    return 0
