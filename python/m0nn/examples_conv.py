"""The convolutional examples, trained with QAT and written like models/digits:

- digits_cnn: scikit-learn's 8x8 digits (shipped with scikit-learn), input [1, 8, 8];
- activity: accelerometer windows [3 axes, 32 samples] of four classes
  (still, walk, run, shake), SYNTHETIC: generated here from a fixed seed.

Each writes <name>.onnx (QDQ), <name>.test.npz (x flattened to [N, C*L] or
[N, C*H*W] in the model's own element order, y the labels), fp32/<name>.onnx
and <name>.json (seed, sizes, accuracies) into the models folder. Training pins
torch's threads and CPU kernels like every m0nn training command
(train.training_cpu, cli.pin_training_cpu): the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MODELS_DIR = "models"
ACTIVITY_CLASSES = ("still", "walk", "run", "shake")
ACTIVITY_RATE_HZ = 25.0
ACTIVITY_WINDOW = 32


def activity_data(n: int, seed: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """n windows [3, 32] in g units at 25 Hz, classes balanced and shuffled.

    The device is held at a random orientation (gravity, 1 g, along a random unit
    vector). still: gravity and sensor noise; walk: a 1.6-2.2 Hz bounce of
    0.15-0.35 g along gravity and a sway at half that rate; run: 2.4-3.2 Hz,
    0.6-1.2 g peaky bounces and a stronger sway; shake: 4-7 Hz, 0.8-2 g along a
    random direction under a random envelope. Noise 0.03 g per axis; the sensor
    clips at +-4 g."""
    rng = np.random.default_rng(seed)
    t = np.arange(ACTIVITY_WINDOW) / ACTIVITY_RATE_HZ
    y = rng.permutation(np.arange(n) % len(ACTIVITY_CLASSES))
    x = np.empty((n, 3, ACTIVITY_WINDOW))
    for i, label in enumerate(y):
        up = rng.normal(size=3)
        up /= np.linalg.norm(up)
        side = np.cross(up, rng.normal(size=3))
        side /= np.linalg.norm(side)
        phase = rng.uniform(0, 2 * np.pi)
        along = np.zeros_like(t)
        across = np.zeros_like(t)
        if label == 1:  # walk
            f = rng.uniform(1.6, 2.2)
            along = rng.uniform(0.15, 0.35) * (np.sin(2 * np.pi * f * t + phase) + 0.3 * np.sin(4 * np.pi * f * t))
            across = rng.uniform(0.05, 0.15) * np.sin(np.pi * f * t + phase)
        elif label == 2:  # run
            f = rng.uniform(2.4, 3.2)
            along = rng.uniform(0.6, 1.2) * (np.abs(np.sin(np.pi * f * t + phase)) ** 3 * 2 - 0.8)
            across = rng.uniform(0.2, 0.4) * np.sin(np.pi * f * t + phase)
        elif label == 3:  # shake
            f = rng.uniform(4.0, 7.0)
            direction = rng.normal(size=3)
            direction /= np.linalg.norm(direction)
            envelope = 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t + rng.uniform(0, 2 * np.pi))
            shake = rng.uniform(0.8, 2.0) * envelope * np.sin(2 * np.pi * f * t + phase)
            along, across = shake * float(direction @ up), shake * float(direction @ side)
        signal = np.outer(up, 1 + along) + np.outer(side, across)
        x[i] = signal + rng.normal(0.0, 0.03, signal.shape)
    return np.clip(x, -4.0, 4.0).astype(np.float32), y.astype(np.int64)


@dataclass(frozen=True)
class Example:
    name: str
    input_shape: tuple[int, ...]
    classes: int
    description: str
    data_source: str
    epochs: int
    qat_epochs: int
    build: Callable[[], object]  # -> nn.Module
    data: Callable[[int], tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]]


def _digits_net() -> object:
    from torch import nn

    from m0nn.train_conv import QNet

    return QNet(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),  # 8 x 8x8
        nn.MaxPool2d(2),  # 8 x 4x4
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),  # 16 x 4x4
        nn.MaxPool2d(2),  # 16 x 2x2
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


def _digits_data(seed: int) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]:
    from m0nn.digits import load_split

    x_tr, x_te, y_tr, y_te = load_split(seed)
    return x_tr.reshape(-1, 1, 8, 8).astype(np.float32), y_tr, x_te.reshape(-1, 1, 8, 8).astype(np.float32), y_te


def _activity_net() -> object:
    from torch import nn

    from m0nn.train_conv import QNet, Residual

    return QNet(
        nn.Conv1d(3, 8, 5, padding=2), nn.BatchNorm1d(8), nn.ReLU(),  # 8 x 32
        nn.MaxPool1d(2),  # 8 x 16
        Residual(nn.Sequential(
            nn.Conv1d(8, 8, 3, padding=1, groups=8), nn.BatchNorm1d(8), nn.ReLU(),  # depthwise
            nn.Conv1d(8, 8, 1), nn.BatchNorm1d(8),  # pointwise
        )),
        nn.Conv1d(8, 16, 3, stride=2, padding=1), nn.BatchNorm1d(16), nn.ReLU(),  # 16 x 8
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, len(ACTIVITY_CLASSES)),
    )  # fmt: skip


def _activity_split(
    seed: int,
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]:
    x_tr, y_tr = activity_data(2000, seed)
    x_te, y_te = activity_data(400, seed + 1000)
    return x_tr, y_tr, x_te, y_te


EXAMPLES = {
    "digits_cnn": Example(
        "digits_cnn", (1, 8, 8), 10,
        "scikit-learn digits 8x8: Conv2d 1-8 3x3, MaxPool, Conv2d 8-16 3x3, MaxPool, Linear 64-10",
        "sklearn.datasets.load_digits",
        40, 20, _digits_net, _digits_data,
    ),
    "activity": Example(
        "activity", (3, ACTIVITY_WINDOW), len(ACTIVITY_CLASSES),
        "SYNTHETIC accelerometer windows (3 x 32 at 25 Hz; still/walk/run/shake): Conv1d 3-8 k5, MaxPool, "
        "residual depthwise+pointwise, Conv1d 8-16 k3 s2, GlobalAveragePool, Linear 16-4",
        "synthetic: m0nn.examples_conv.activity_data",
        40, 20, _activity_net, _activity_split,
    ),
}  # fmt: skip


def train(
    name: str, models_dir: Path, seed: int = 0, epochs: int | None = None, qat_epochs: int | None = None
) -> dict[str, object]:
    """Train fp32 then QAT; write the example's files (see the module docstring)."""
    import torch

    from m0nn.train import TrainConfig, export_fp32_onnx, export_qdq_onnx, predict, prepare_qat, train_fp32, train_qat
    from m0nn.train_conv import model_size

    ex = EXAMPLES[name]
    cfg = TrainConfig(
        epochs=ex.epochs if epochs is None else epochs,
        qat_epochs=ex.qat_epochs if qat_epochs is None else qat_epochs,
        seed=seed,
        loss="ce",
    )
    x_tr, y_tr, x_te, y_te = ex.data(seed)
    print(f"m0nn: training {name}: {ex.description} (seed {seed})", file=sys.stderr)
    torch.manual_seed(seed)
    fp32 = train_fp32(ex.build(), x_tr, y_tr, cfg)  # type: ignore[arg-type]
    qat = train_qat(prepare_qat(fp32, cfg), x_tr, y_tr, cfg)
    acc_fp32 = float((predict(fp32, x_te).argmax(1) == y_te).mean())
    acc_qat = float((predict(qat, x_te).argmax(1) == y_te).mean())
    (models_dir / "fp32").mkdir(parents=True, exist_ok=True)
    export_qdq_onnx(qat, ex.input_shape, models_dir / f"{name}.onnx")
    export_fp32_onnx(fp32, ex.input_shape, models_dir / "fp32" / f"{name}.onnx")
    np.savez(models_dir / f"{name}.test.npz", x=x_te.reshape(len(x_te), -1), y=y_te.astype(np.int16))
    meta: dict[str, object] = {
        "seed": seed,
        "epochs": cfg.epochs,
        "qat_epochs": cfg.qat_epochs,
        "model": ex.description,
        "input_shape": list(ex.input_shape),
        "test_x": "flattened to [N, prod(input_shape)] in the ONNX input's row-major order",
        "data": ex.data_source,
        **model_size(fp32, ex.input_shape),
        "test_samples": int(len(y_te)),
        "fp32_accuracy": acc_fp32,
        "fake_quant_accuracy": acc_qat,
    }
    (models_dir / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"m0nn: {name}: fp32 accuracy {acc_fp32:.4f}, fake-quant accuracy {acc_qat:.4f}", file=sys.stderr)
    return meta
