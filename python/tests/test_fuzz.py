"""`m0nn fuzz`: a short run of the differential fuzzer (layers and small models,
host, sanitized and the emulated M0), proof that it can fail (a wrong byte, a
wrong refusal, the pairs kernel run outside its rule), the pairs layout's edge
drawn, and the recorded long run (docs/fuzz.json, docs/fuzz.md)."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from m0nn import fuzz, fuzz_models
from m0nn.layout import PAIRS_MAX_IN, fits_int4, pair_inputs, pairs_fit
from m0nn.quant import Requant
from m0nn.reference import fc_s8_raw

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
        assert result["targets"][target]["pairs_calls"] > 500, target
        assert result["targets"][target]["refused_calls"] > 500, target
        assert result["models"]["targets"][target]["model_runs"] == 100 * fuzz_models.VECTORS
    assert result["tflite_reference"]["q31_outputs_checked"] > 10000
    assert result["models"]["layers_per_kernel"]["b8p"] > 0


@pytest.mark.parametrize("target", ["native", "m0"])
def test_driver_reports_a_wrong_byte(tmp_path: Path, target: str) -> None:
    """The comparison can fail: one expected byte changed gives exactly the
    mismatches of that case (its three to seven kernel calls), on the host and the M0;
    so does a refusal status the kernel does not return."""
    tool = "qemu-system-arm" if target == "m0" else "gcc"
    if shutil.which(tool) is None or (target == "m0" and shutil.which("arm-none-eabi-gcc") is None):
        pytest.skip(f"needs {tool}")
    gen = fuzz.Generator(3, small=target == "m0")
    cases = [gen.case() for _ in range(40)]
    # the changed case is one the split kernels run too
    cases[17] = next(c for c in iter(gen.case, None) if c.split and fits_int4(c.weights))
    # and one the pairs kernel runs too, and one it must refuse (a Q31 case)
    cases[23] = next(c for c in iter(gen.case, None) if c.pairs() == 0 and fits_int4(c.weights))
    cases[29] = next(c for c in iter(gen.case, None) if c.requant.mode == "q31")
    for i in (17, 23):
        cases[i].expected = cases[i].expected.copy()
        cases[i].expected[0] = np.int8(int(cases[i].expected[0]) ^ 1)
    records = [c.record() for c in cases]
    assert struct.unpack_from("<i", records[29], 4 * 16) == (fuzz.ERR_QUANT,)  # the status the driver expects
    records[29] = records[29][:64] + struct.pack("<i", fuzz.ERR_SIZE) + records[29][68:]
    exe = fuzz.build(target, tmp_path)
    proc, lines = fuzz.run_stream(target, exe, b"".join(records), tmp_path)
    lines = [line for line in lines if line.startswith(("mismatch", "calls"))]
    assert proc.returncode == 1

    # three kernel calls, a fourth with 4-bit weights, one more (m0nn_fc_s8_small) for MUL32,
    # two or three more (the _q31_split kernels) inside the split domain, one more (m0nn_fc_s8_b8p)
    # where the pairs layout holds the case
    def n_split(c: fuzz.Case) -> int:
        return (2 + fits_int4(c.weights)) if c.split else 0

    def n_pairs(c: fuzz.Case) -> int:
        return int(c.pairs() == 0)

    def n_calls(c: fuzz.Case) -> int:
        return 3 + fits_int4(c.weights) + (c.requant.mode == "mul32") + n_split(c) + n_pairs(c)

    assert n_calls(cases[17]) == 7 and n_calls(cases[23]) == 6
    calls = sum(n_calls(c) for c in cases)
    refused = sum(c.pairs() in (fuzz.ERR_QUANT, fuzz.ERR_SIZE) for c in cases)
    assert lines[-1] == (
        f"calls {calls} mismatches {7 + 6 + 1} split {sum(n_split(c) for c in cases)} "
        f"pairs {sum(n_pairs(c) for c in cases)} refused {refused}"
    )
    assert {line.split()[2] for line in lines[:-1] if line.split()[1] == "17"} >= {"b8_split", "b8w_split", "b4_split"}
    assert {line.split()[2] for line in lines[:-1] if line.split()[1] == "23"} >= {"small", "b4", "b8p"}
    assert [line for line in lines[:-1] if line.split()[1] == "29"] == [
        f"mismatch 29 b8p_refused status {fuzz.ERR_QUANT} {fuzz.ERR_SIZE}"
    ]
    assert {line.split()[1] for line in lines[:-1]} == {"17", "23", "29"}


@pytest.mark.parametrize("target", ["native", "m0"])
def test_driver_b8p_at_the_lane_edge(tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The b8p calls reach the lane's edge: a legal case at the pair dots 32640
    and -32512 passes, and the same case with one weight pair (-128, -128),
    run anyway (m0nn.layout.pairs_fit bypassed), gives the mismatch the rule
    exists for (its dot 32768 leaves the signed 16-bit lane)."""
    tool = "qemu-system-arm" if target == "m0" else "gcc"
    if shutil.which(tool) is None or (target == "m0" and shutil.which("arm-none-eabi-gcc") is None):
        pytest.skip(f"needs {tool}")
    x = np.full(4, -128, np.int8)
    rq = Requant("mul32", np.array([1], np.int32), np.array([-8], np.int32))
    # pairs (0, 2) and (1, 3) (m0nn.layout.pair_inputs)
    legal = np.array([[-128, 127, -127, 127], [127, -128, 127, -127]], np.int8)  # dots 32640 - 32512, 0
    wrong = np.array([[-128, 127, -128, 127], [0, 0, 0, 0]], np.int8)  # 32768 - 32512 = 256: 1 after >> 8

    def case(w: np.ndarray) -> fuzz.Case:
        c = fuzz.Case(x, w, None, 0, 0, -128, 127, rq, False, 1)
        c.expected = fc_s8_raw(x, w, None, 0, 0, -128, 127, rq, "edge")
        return c

    ok, bad = case(legal), case(wrong)
    assert ok.pairs() == 0 and bad.pairs() is None and bad.expected.tolist() == [1, 0]
    monkeypatch.setattr(fuzz, "pairs_fit", lambda w: True)
    exe = fuzz.build(target, tmp_path)
    proc, lines = fuzz.run_stream(target, exe, ok.record() + bad.record(), tmp_path)
    lines = [line for line in lines if line.startswith(("mismatch", "calls"))]
    assert lines[0].startswith("mismatch 1 b8p 0 ") and lines[0] != "mismatch 1 b8p 0 1 1", lines
    assert lines[1:] == ["calls 10 mismatches 1 split 0 pairs 2 refused 0"]  # ref, small, b8, b8w, b8p each


def test_generator_draws_the_pairs_edge() -> None:
    """Pairs cases on the host and the M0 generators: every one legal by
    m0nn.layout's rule, 1 and 64 inputs among them, and the pair dots at both
    ends (32640, -32512) and the low lane's (16384, -16256) reached."""
    for small in (False, True):
        gen = fuzz.Generator(11, small=small)
        cases = [c for c in (gen.case() for _ in range(1500)) if c.pairs() == 0]
        assert len(cases) > 200
        dots, lows, sizes = set(), set(), set()
        for c in cases:
            assert c.requant.mode == "mul32" and c.x.size <= PAIRS_MAX_IN and pairs_fit(c.weights)
            a, b = pair_inputs(c.x.size)
            x = np.pad(c.x.astype(np.int64), (0, 1))
            w = np.pad(c.weights.astype(np.int64), ((0, 0), (0, 1)))
            dots.update((x[a] * w[:, a] + x[b] * w[:, b]).ravel().tolist())
            lows.update((x[a] * w[:, b]).ravel().tolist())
            sizes.add(c.x.size)
        assert {32640, -32512} <= dots and max(dots) == 32640 and min(dots) == -32512, small
        assert {16384, -16256} <= lows, small
        assert {1, 2, 63, 64} <= sizes, small


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
        assert 0 < t["pairs_calls"] < t["calls"] and t["refused_calls"] > 0, name  # m0nn_fc_s8_b8p ran, refused
        assert t["mismatches"] == 0 and t["first_mismatches"] == [] and t["sanitizer_errors"] == [], name
        assert t["seconds"] > 0
    assert result["tflite_reference"]["q31_outputs_checked"] > 10**6
    assert result["tflite_reference"]["mismatches"] == 0
    models = result["models"]
    assert models["models"] >= 1000 and set(models["targets"]) == {"native", "native_asan", "m0"}
    for name, t in models["targets"].items():
        assert t["model_runs"] == models["models"] * models["vectors_per_model"] and t["mismatches"] == 0, name
    assert models["layers_per_kernel"]["b8p"] >= 100  # b8w models' layers on the pairs layout
    text = (ROOT / "docs" / "fuzz.md").read_text()
    assert fuzz.markdown(result) == text
