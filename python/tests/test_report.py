"""`m0nn report` on the example model: every variant, plots, summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import MODELS

from m0nn import report
from m0nn.cli import main
from m0nn.onnx_import import import_model


def test_variants_are_ordered_by_precision() -> None:
    model = import_model(MODELS / "digits.onnx")
    x = np.load(MODELS / "digits.test.npz")["x"].astype(np.float64)
    y = np.load(MODELS / "digits.test.npz")["y"]
    errors = [report.evaluate(model, v, x, y).multiplier_rel_error for v in report.DEFAULT_VARIANTS]
    assert errors == sorted(errors)
    assert errors[0] < 2**-30  # Q31
    q31 = report.evaluate(model, "q31", x, y)
    assert max(q31.differ_share) < 0.01


def test_unknown_variant() -> None:
    model = import_model(MODELS / "digits.onnx")
    with pytest.raises(Exception, match="unknown variant"):
        report.configure_variant(model, "mul64")


def test_report_cli_writes_table_plots_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["report", str(MODELS / "tilt.onnx"), "--data", str(MODELS / "tilt.test.npz"), "-o", str(tmp_path)]
    assert main([*args, "--variants", "q31,mul32,pow2"]) == 0
    out = capsys.readouterr().out
    assert "rmse fp32" in out and "pow2" in out
    for name in ("tilt_report.md", "tilt_metric.png", "tilt_layers.png"):
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 300
    assert (tmp_path / "tilt_metric.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_on_a_graph_model_is_one_line_fc_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A conv model is one line saying report takes FC models only (TRIAL5 F18: it said the
    first Conv was an unsupported operator, of a model m0nn builds and checks); nothing written."""
    model = MODELS / "digits_cnn.onnx"
    out = tmp_path / "report"
    assert main(["report", str(model), "--data", str(MODELS / "digits_cnn.test.npz"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"m0nn report: error: {model}: m0nn report handles fully connected models only, this is a graph model "
        "(conv, pooling or residual); m0nn check compares it operator by operator"
    ], err
    assert not out.exists()
