"""The recorded `m0nn measure digits_cnn activity -o docs` results (docs/measure_conv.json):
the emulated M0 agreed with the integer reference on every vector, its int8
accuracy is the reference's on the committed test data, fp32 is the training
record's, the RAM is arena + input + output + the stack bound, the stack high-water
mark measured on QEMU is within that bound, and README's "Measured numbers" rows carry those numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import MODELS, ROOT

from m0nn.graph.importer import import_graph
from m0nn.graph.reference import quantize_input, run_all

RECORDED = {r["name"]: r for r in json.loads((ROOT / "docs" / "measure_conv.json").read_text())}


@pytest.mark.parametrize("name", ["digits_cnn", "activity"])
def test_recorded_numbers_match_the_reference_and_readme(name: str) -> None:
    r = RECORDED[name]
    data = np.load(MODELS / f"{name}.test.npz")
    assert r["n_tests"] == len(data["y"]) and r["exact"] == r["n_tests"]
    model = import_graph(MODELS / f"{name}.onnx", name)
    _, out = run_all(model, quantize_input(model, np.asarray(data["x"], np.float64)))
    assert r["int8_accuracy"] == pytest.approx(float((out.argmax(1) == data["y"]).mean()))
    assert r["fp32_accuracy"] == json.loads((MODELS / f"{name}.json").read_text())["fp32_accuracy"]
    assert r["flash"] == r["flash_model"] + r["flash_code"] and r["ram"] > r["arena"] > 0
    assert r["ram"] == r["arena"] + model.input_size + model.output_size + r["stack_estimate"]
    assert 0 < r["stack_measured"] <= r["stack_estimate"]
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(f"| {name}: fp32 / int8 accuracy"))
    assert f"{100 * r['fp32_accuracy']:.2f}% / {100 * r['int8_accuracy']:.2f}%" in row
    row = next(line for line in readme.splitlines() if line.startswith(f"| {name}: flash / RAM / cycles"))
    assert f"{r['flash']:,} / {r['ram']:,} / {r['cycles']:,}" in row


def test_outside_the_repository_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In a user's project (no lib/m0nn/generated, no models/NAME.json) `m0nn measure` says what it
    measures and what to run instead, in one line, instead of a Python error."""
    from m0nn.cli import main as cli

    (tmp_path / "models").mkdir()
    (tmp_path / "lib" / "m0nn_models").mkdir(parents=True)
    assert cli(["measure", "digits", "--project", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("m0nn measure: error: digits: measures the m0nn repository's")
    assert "lib/m0nn/generated/digits.h, models/digits.json" in err and "pio test -e m0_qemu" in err


def test_a_path_for_a_name_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from m0nn.cli import main as cli

    assert cli(["measure", "/etc/x", "--project", str(ROOT)]) == 1
    err = capsys.readouterr().err
    assert err == "m0nn measure: error: '/etc/x': give an example's name (digits_cnn, activity, digits), not a path\n"
