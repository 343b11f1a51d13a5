"""QAT scale modes and narrow weights export as QDQ ONNX the importer reads,
and the integer path stays within one LSB per layer of the fake-quant graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from m0nn import digits  # noqa: E402
from m0nn.check import check  # noqa: E402
from m0nn.onnx_import import import_model  # noqa: E402
from m0nn.train import MLP, TrainConfig, calibrate, export_qdq_onnx, prepare_qat, train_fp32, train_qat  # noqa: E402


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    return digits.load_split(0)


@pytest.fixture(scope="module")
def fp32(data: tuple[np.ndarray, ...]) -> MLP:
    x_tr, _, y_tr, _ = data
    return train_fp32(MLP(64, [16], 10), x_tr, y_tr, TrainConfig(epochs=8))  # type: ignore[return-value]


@pytest.mark.parametrize("scale_mode", ["observed", "lsq", "pow2"])
@pytest.mark.parametrize("bits", [8, 4])
def test_scale_modes_export_and_import(
    tmp_path: Path, data: tuple[np.ndarray, ...], fp32: MLP, scale_mode: str, bits: int
) -> None:
    x_tr, x_te, y_tr, y_te = data
    cfg = TrainConfig(epochs=8, qat_epochs=3, scale_mode=scale_mode, weight_bits=bits)
    qat = train_qat(prepare_qat(fp32, cfg), x_tr, y_tr, cfg)
    path = tmp_path / "m.onnx"
    export_qdq_onnx(qat, 64, path)
    model = import_model(path)
    limit = 2 ** (bits - 1) - 1
    for layer in model.layers:
        assert -limit - (bits == 8) <= int(layer.weights.min()) and int(layer.weights.max()) <= limit
        if scale_mode == "pow2":
            for s in [layer.output_scale, layer.input_scale, *layer.weight_scale]:
                assert np.log2(s) == np.round(np.log2(s)), s
    result = check(model, x_te, y_te)
    assert result.first_divergent is None
    assert result.accuracy["int8"] > 0.8


def test_ptq_calibration_only(tmp_path: Path, data: tuple[np.ndarray, ...], fp32: MLP) -> None:
    x_tr, x_te, _, y_te = data
    qat = calibrate(prepare_qat(fp32, TrainConfig()), x_tr)
    export_qdq_onnx(qat, 64, tmp_path / "ptq.onnx")
    assert check(import_model(tmp_path / "ptq.onnx"), x_te, y_te).accuracy["int8"] > 0.8


def test_unknown_scale_mode_is_a_clear_error() -> None:
    from m0nn.errors import ModelError
    from m0nn.train import qconfig

    with pytest.raises(ModelError, match="unknown scale mode 'learned'"):
        qconfig(8, "learned")
