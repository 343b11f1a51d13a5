"""`m0nn fuzz`: a short run of the differential fuzzer (layers and small models,
host, sanitized and the emulated M0), proof that it can fail, and the recorded
long run (docs/fuzz.json, docs/fuzz.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from m0nn import fuzz, fuzz_models
from m0nn.layout import fits_int4

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs the host gcc")


@needs_gcc
def test_short_run_native_sanitized_and_m0_has_no_mismatch() -> None:
    targets = ["native", "native_asan"]
    if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
        targets.append("m0")
    result = fuzz.run(seed=7, calls=12000, targets=targets, log=lambda _: None, models=100)
    assert fuzz.ok(result), json.dumps(result, indent=1)[:3000]
    for target in targets:
        assert 12000 <= result["targets"][target]["calls"] <= 20000
        assert result["targets"][target]["split_calls"] > 0, target
        assert result["models"]["targets"][target]["model_runs"] == 100 * fuzz_models.VECTORS
    assert result["tflite_reference"]["q31_outputs_checked"] > 10000


@pytest.mark.parametrize("target", ["native", "m0"])
def test_driver_reports_a_wrong_byte(tmp_path: Path, target: str) -> None:
    """The comparison can fail: one expected byte changed gives exactly the
    mismatches of that case (its three to seven kernel calls), on the host and the M0."""
    tool = "qemu-system-arm" if target == "m0" else "gcc"
    if shutil.which(tool) is None or (target == "m0" and shutil.which("arm-none-eabi-gcc") is None):
        pytest.skip(f"needs {tool}")
    gen = fuzz.Generator(3, small=target == "m0")
    cases = [gen.case() for _ in range(40)]
    # the changed case is one the split kernels run too
    cases[17] = next(c for c in iter(gen.case, None) if c.split and fits_int4(c.weights))
    cases[17].expected = cases[17].expected.copy()
    cases[17].expected[0] = np.int8(int(cases[17].expected[0]) ^ 1)
    exe = fuzz.build(target, tmp_path)
    proc, lines = fuzz.run_stream(target, exe, b"".join(c.record() for c in cases), tmp_path)
    lines = [line for line in lines if line.startswith(("mismatch", "calls"))]
    assert proc.returncode == 1

    # three kernel calls, a fourth with 4-bit weights, one more (m0nn_fc_s8_small) for MUL32,
    # two or three more (the _q31_split kernels) inside the split domain
    def n_split(c: fuzz.Case) -> int:
        return (2 + fits_int4(c.weights)) if c.split else 0

    def n_calls(c: fuzz.Case) -> int:
        return 3 + fits_int4(c.weights) + (c.requant.mode == "mul32") + n_split(c)

    n_kernels = n_calls(cases[17])
    assert n_kernels == 7
    calls = sum(n_calls(c) for c in cases)
    assert lines[-1] == f"calls {calls} mismatches {n_kernels} split {sum(n_split(c) for c in cases)}"
    assert {line.split()[2] for line in lines[:-1]} >= {"b8_split", "b8w_split", "b4_split"}
    assert {line.split()[1] for line in lines[:-1]} == {"17"}


def test_tflite_reference_is_tflite() -> None:
    """Hand-checked values of MultiplyByQuantizedMultiplier, including the
    saturating corner of the doubling high multiply."""
    assert fuzz.tflite_mbqm(-(2**31), -(2**31), 0) == 2**31 - 1
    assert fuzz.tflite_mbqm(5, 2**30, 0) == 3  # 2.5: the nudge rounds ties up
    assert fuzz.tflite_mbqm(-5, 2**30, 0) == -2  # -2.5 -> -2 (truncation after the negative nudge)
    assert fuzz.tflite_mbqm(5, 2**30, -1) == 2  # 3 / 2 = 1.5 -> 2: RoundingDivideByPOT, ties away from zero
    assert fuzz.tflite_mbqm(-3, 2**30, -1) == -1  # -1.5 -> -1, then -0.5 -> -1
    assert fuzz.tflite_mbqm(1, 2**31 - 1, 30) == 2**30


def test_recorded_long_run() -> None:
    """docs/fuzz.json: at least 10^6 calls per host target, none differing, no
    sanitizer report, Q31 outputs checked against the TFLite-style reference;
    docs/fuzz.md states the same numbers."""
    result = json.loads((ROOT / "docs" / "fuzz.json").read_text())
    assert isinstance(result["seed"], int) and result["total_seconds"] > 0
    assert set(result["targets"]) == {"native", "native_asan", "m0"}
    for name, t in result["targets"].items():
        assert t["calls"] >= 10**6 and 3 * t["cases"] <= t["calls"] <= 7 * t["cases"], name
        assert 0 < t["split_calls"] < t["calls"], name  # the _q31_split kernels ran
        assert t["mismatches"] == 0 and t["first_mismatches"] == [] and t["sanitizer_errors"] == [], name
        assert t["seconds"] > 0
    assert result["tflite_reference"]["q31_outputs_checked"] > 10**6
    assert result["tflite_reference"]["mismatches"] == 0
    models = result["models"]
    assert models["models"] >= 1000 and set(models["targets"]) == {"native", "native_asan", "m0"}
    for name, t in models["targets"].items():
        assert t["model_runs"] == models["models"] * models["vectors_per_model"] and t["mismatches"] == 0, name
    text = (ROOT / "docs" / "fuzz.md").read_text()
    assert fuzz.markdown(result) == text
