"""The second example: tilt (pitch, roll) from a 3-axis accelerometer, a small
regression net trained with MSE and quantized after training by onnxruntime's
quantizer (QDQ, per-channel int8 weights), so m0nn is exercised on a model
that torch's exporter did not write.

The sensor task is synthetic and fully defined here: an accelerometer at rest
measures gravity, g = (-sin p, sin r cos p, cos r cos p) in g units, plus
Gaussian noise of 0.02 g per axis; pitch p and roll r are uniform in +-60 degrees.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

LIMIT = np.deg2rad(60.0)
NOISE_G = 0.02


def make_data(n: int, seed: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    rng = np.random.default_rng(seed)
    pitch = rng.uniform(-LIMIT, LIMIT, n)
    roll = rng.uniform(-LIMIT, LIMIT, n)
    g = np.stack([-np.sin(pitch), np.sin(roll) * np.cos(pitch), np.cos(roll) * np.cos(pitch)], axis=1)
    x = g + rng.normal(0.0, NOISE_G, g.shape)
    return x.astype(np.float32), np.stack([pitch, roll], axis=1).astype(np.float32)


def quantize_with_onnxruntime(fp32_path: Path, out_path: Path, calibration: NDArray[np.float32]) -> None:
    """onnxruntime's static quantizer: QDQ format, int8 activations, per-channel int8 weights."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.rows = iter(calibration[i : i + 1] for i in range(len(calibration)))

        def get_next(self) -> dict[str, NDArray[np.float32]] | None:
            row = next(self.rows, None)
            return None if row is None else {"input": row}

    tmp = out_path.with_name(out_path.name + ".tmp")
    quantize_static(
        str(fp32_path), str(tmp), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
    )  # fmt: skip
    tmp.replace(out_path)


def train(models_dir: Path, seed: int = 0, epochs: int = 80) -> dict[str, object]:
    import torch
    from torch import nn

    from m0nn.train import TrainConfig, export_fp32_onnx, predict, train_fp32

    x_tr, y_tr = make_data(4000, seed)
    x_te, y_te = make_data(200, seed + 1000)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    print(f"m0nn: training the tilt regressor 3-32-32-2 with MSE (seed {seed})", file=sys.stderr)
    train_fp32(net, x_tr, y_tr, TrainConfig(epochs=epochs, lr=3e-3, loss="mse", seed=seed))
    rmse = float(np.sqrt(np.mean((predict(net, x_te) - y_te) ** 2)))
    (models_dir / "fp32").mkdir(parents=True, exist_ok=True)
    fp32_path = models_dir / "fp32" / "tilt.onnx"
    export_fp32_onnx(net, 3, fp32_path)
    quantize_with_onnxruntime(fp32_path, models_dir / "tilt.onnx", x_tr[:500])
    np.savez(models_dir / "tilt.test.npz", x=x_te, y=y_te)
    meta = {"seed": seed, "epochs": epochs, "test_samples": len(y_te), "fp32_rmse_rad": rmse,
            "quantizer": "onnxruntime.quantization.quantize_static (QDQ, per-channel, int8)"}  # fmt: skip
    (models_dir / "tilt.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"m0nn: fp32 test RMSE {np.rad2deg(rmse):.2f} degrees", file=sys.stderr)
    return meta
