"""The fp32 model is the checksum: the int8 path must stay close to it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import MODELS

from m0nn.check import check, format_result, run_fp32
from m0nn.onnx_import import import_model
from m0nn.plan import configure
from m0nn.settings import Settings

pytest.importorskip("onnxruntime")


def test_digits_int8_accuracy_within_one_point_of_fp32() -> None:
    model = configure(import_model(MODELS / "digits.onnx"), Settings())  # as generated for the device
    data = np.load(MODELS / "digits.test.npz")
    x, y = data["x"].astype(np.float64), data["y"]
    result = check(model, x, y, run_fp32(MODELS / "fp32" / "digits.onnx", x))
    print(format_result(model, result, 1))
    assert abs(result.accuracy["int8"] - result.accuracy["fp32"]) <= 0.01
    assert result.first_divergent is None
    meta = json.loads((MODELS / "digits.json").read_text())
    assert result.accuracy["fp32"] == pytest.approx(meta["fp32_accuracy"])


def test_tilt_int8_error_close_to_fp32() -> None:
    model = configure(import_model(MODELS / "tilt.onnx"), Settings())
    data = np.load(MODELS / "tilt.test.npz")
    x, y = data["x"].astype(np.float64), data["y"].astype(np.float64)
    result = check(model, x, y, run_fp32(MODELS / "fp32" / "tilt.onnx", x))
    print(format_result(model, result, 1))
    # Within 10% of the fp32 RMSE, and below one degree of extra error.
    assert result.rmse["int8"] <= 1.10 * result.rmse["fp32"]
    assert result.rmse["int8"] - result.rmse["fp32"] < np.deg2rad(1.0)


def test_check_cli_names_first_divergent_layer(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from m0nn.cli import main

    assert main(["check", str(MODELS / "digits.onnx"), "--data", str(MODELS / "digits.test.npz"), "--tol", "0"]) == 0
    out = capsys.readouterr().out
    # With zero tolerance the 1-LSB requantization differences of layer 0 count.
    assert "first layer beyond tolerance (0 LSB): 0 (/body/body.0/Gemm), 1 LSB" in out
    assert "accuracy: fp32" in out
