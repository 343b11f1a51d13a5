"""The example model: an 8x8-pixel digit classifier trained with QAT on
scikit-learn's `digits` data (shipped with scikit-learn, no download)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HIDDEN = (32, 32)


def load_split(seed: int = 0, test_fraction: float = 0.2) -> tuple[np.ndarray, ...]:
    """Pixels scaled to [0, 1]; a stratified split that depends only on `seed`."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.data.astype(np.float64) / 16.0
    return tuple(train_test_split(x, d.target, test_size=test_fraction, random_state=seed, stratify=d.target))


def train(
    models_dir: Path,
    seed: int = 0,
    epochs: int = 60,
    qat_epochs: int = 30,
    scale_mode: str = "observed",
    weight_bits: int = 8,
) -> dict[str, object]:
    """Train fp32 then QAT; write models/digits.onnx (QDQ), models/digits.test.npz,
    models/fp32/digits.onnx and models/digits.json (seed and accuracies)."""
    import torch

    from m0nn.train import (
        MLP,
        TrainConfig,
        export_fp32_onnx,
        export_qdq_onnx,
        predict,
        prepare_qat,
        train_fp32,
        train_qat,
    )

    x_tr, x_te, y_tr, y_te = load_split(seed)
    cfg = TrainConfig(
        epochs=epochs, qat_epochs=qat_epochs, seed=seed, loss="ce", scale_mode=scale_mode, weight_bits=weight_bits
    )
    torch.manual_seed(seed)
    print(f"m0nn: training the digits MLP 64-{'-'.join(map(str, HIDDEN))}-10 (seed {seed})", file=sys.stderr)
    fp32 = train_fp32(MLP(64, HIDDEN, 10), x_tr, y_tr, cfg)
    qat = train_qat(prepare_qat(fp32, cfg), x_tr, y_tr, cfg)
    acc_fp32 = float((predict(fp32, x_te).argmax(1) == y_te).mean())
    acc_qat = float((predict(qat, x_te).argmax(1) == y_te).mean())
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / "fp32").mkdir(exist_ok=True)
    export_qdq_onnx(qat, 64, models_dir / "digits.onnx")
    fp32_path = models_dir / "fp32" / "digits.onnx"
    export_fp32_onnx(fp32, 64, fp32_path)
    np.savez(models_dir / "digits.test.npz", x=x_te.astype(np.float32), y=y_te.astype(np.int16))
    meta = {
        "seed": seed,
        "epochs": epochs,
        "qat_epochs": qat_epochs,
        "hidden": list(HIDDEN),
        "scale_mode": scale_mode,
        "weight_bits": weight_bits,
        "test_samples": int(len(y_te)),
        "fp32_accuracy": acc_fp32,
        "fake_quant_accuracy": acc_qat,
    }
    (models_dir / "digits.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"m0nn: fp32 accuracy {acc_fp32:.4f}, fake-quant accuracy {acc_qat:.4f}", file=sys.stderr)
    return meta
