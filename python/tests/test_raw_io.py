"""Raw sensor integers to the model's int8 input, and int8 outputs to Q16.16 real
values: the host constants (m0nn.quant), their settings and pre-build option, and
the whole path through PlatformIO on the host and on the emulated M0."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import GENERATED, MODELS, ROOT, copy_project, pio
from test_codegen import same_text

from m0nn import golden_io, prebuild
from m0nn.errors import ModelError
from m0nn.onnx_import import import_model
from m0nn.quant import (
    INT32_MAX,
    INT32_MIN,
    RawInput,
    dequantize_q16,
    output_q16_params,
    quantize_raw,
    raw_input_params,
)
from m0nn.reference import quantize_input
from m0nn.settings import Settings, parse_input_scales

SPECS = [spec[1:] for spec in golden_io.RAW_SPECS] + [
    (3.0e-5, 0, 0.02, 0, -128, 127),  # an int16 accelerometer onto 0.02 steps
    (0.8, -1, 0.3, 100, -128, 127),
    (7.0, 12345, 0.001, -128, -128, 127),
    (1.0 / 3.0, 0, 0.1, 0, -128, 127),
    (2.0**-40, 0, 1.0, 0, -128, 127),  # wider than int32: the pre-shift
    (0.3, 0, 0.1, 0, 0, 127),  # a uint8 model input with 7-bit activations
]


def _round_half_even(v: Fraction) -> int:
    f = math.floor(v)
    rest = v - f
    return f + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and f % 2) else 0)


def _raw_values(p: RawInput, rng: np.random.Generator) -> list[int]:
    vals = [INT32_MIN, INT32_MIN + 1, -(2**15), 2**15 - 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX]
    for edge in (p.raw_min, p.raw_max, p.raw_zero):
        vals += [edge + d for d in range(-3, 4)]
    lo, hi = max(INT32_MIN, p.raw_min - 50), min(INT32_MAX, p.raw_max + 50)
    vals += [int(v) for v in rng.integers(lo, hi, 300, endpoint=True)]
    vals += [int(v) for v in rng.integers(INT32_MIN, INT32_MAX, 100, endpoint=True)]
    return [v for v in vals if INT32_MIN <= v <= INT32_MAX]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s[0]:g}/{s[2]:g}@{s[1]}")
def test_clamping_the_raw_range_changes_no_result(spec: tuple[float, int, float, int, int, int]) -> None:
    """The device clamps raw to [raw_min, raw_max] to bound the product; the same
    formula on unbounded integers, without that clamp, gives the same int8 values."""
    p = raw_input_params(*spec)
    raws = _raw_values(p, np.random.default_rng(1))
    ours = quantize_raw(np.array(raws, np.int64), p).tolist()
    for raw, got in zip(raws, ours, strict=True):
        exact = ((raw - p.raw_zero) >> p.pre_shift) * p.multiplier
        want = max(p.q_min, min(p.q_max, _round_half_even(Fraction(exact, 2**-p.shift)) + p.zero_point))
        assert got == want, (raw, got, want)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s[0]:g}/{s[2]:g}@{s[1]}")
def test_raw_conversion_is_within_a_hair_of_the_real_quantization(
    spec: tuple[float, int, float, int, int, int],
) -> None:
    """Against QuantizeLinear on the exact real value, clamp(round_half_even(raw_scale
    * (raw - zero) / input_scale) + zp): the same except within 2^-6 of a tie (the
    multiplier's rounding, the pre-shift's dropped bits), and then one step off."""
    raw_scale, zero, in_scale, zp, q_min, q_max = spec
    p = raw_input_params(*spec)
    raws = _raw_values(p, np.random.default_rng(2))
    ratio = Fraction(raw_scale) / Fraction(in_scale)
    for raw, got in zip(raws, quantize_raw(np.array(raws, np.int64), p).tolist(), strict=True):
        real = (raw - zero) * ratio
        want = max(q_min, min(q_max, _round_half_even(real) + zp))
        if got != want:
            assert abs(got - want) == 1, (raw, got, want)
            assert abs(real - math.floor(real) - Fraction(1, 2)) < Fraction(1, 2**6), (raw, float(real))


def test_power_of_two_ratio_is_exact_at_ties() -> None:
    """raw / 4: ties (x.5) go to the even neighbour, as QuantizeLinear does."""
    p = raw_input_params(0.25, 0, 1.0, 0)
    raws = np.arange(-600, 601)
    want = np.clip(np.rint(raws / 4.0), -128, 127)
    assert quantize_raw(raws, p).tolist() == want.astype(np.int64).tolist()


def test_digits_pixels_give_the_quantized_test_inputs() -> None:
    """The digits model's held-out pixels as the sensor gives them (0..16, scale 1/16)
    become exactly the int8 inputs the host quantizes from floats."""
    model = import_model(MODELS / "digits.onnx")
    x = np.load(MODELS / "digits.test.npz")["x"].astype(np.float64)
    raw = np.rint(x * 16).astype(np.int64)
    p = raw_input_params(0.0625, 0, model.input_scale, model.input_zero_point)
    assert np.array_equal(quantize_raw(raw, p), quantize_input(model, x))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-0.5, 0, 1.0, 0), "raw input scale -0.5 is not a finite positive number"),
        ((0.0, 0, 1.0, 0), "raw input scale 0.0 is not a finite positive number"),
        ((float("nan"), 0, 1.0, 0), "raw input scale nan"),
        ((float("inf"), 0, 1.0, 0), "raw input scale inf"),
        ((1.0, 0, -1.0, 0), "model input scale -1.0"),
        ((1.0, 2**31, 1.0, 0), "raw input zero point 2147483648 is not an int32"),
        ((1.0, 0.5, 1.0, 0), "raw input zero point 0.5 is not an int32"),
        ((1.0, 0, 1.0, 128), "model input zero point 128 is outside [-128, 127]"),
        ((1.0, 0, 1.0, 0, 5, 4), "model input range [5, 4] is not within [-128, 127]"),
        ((2.0**30, 0, 1.0, 0), "is 2^30 or more"),
    ],
)
def test_bad_raw_scales_are_refused(args: tuple, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ModelError, match=message.replace("[", r"\[").replace("^", r"\^")):
        raw_input_params(*args)


def test_reference_refuses_constants_that_overflow() -> None:
    p = raw_input_params(0.25, 0, 1.0, 0)
    wide = RawInput(INT32_MIN, INT32_MAX, 0, 0, p.multiplier, p.shift, 0)  # the default range, all of int8
    with pytest.raises(ModelError, match="overflows int32"):
        quantize_raw(np.array([10**6]), wide)


MODEL_OUTPUTS = [
    (m.output_scale, m.output_zero_point) for m in (import_model(MODELS / f"{n}.onnx") for n in ("digits", "tilt"))
]


@pytest.mark.parametrize(
    ("scale", "zp"), [(s[1], s[2]) for s in golden_io.Q16_SPECS] + [(0.0123, 17), (2e-3, -128), *MODEL_OUTPUTS]
)
def test_q16_output_is_the_real_value_rounded(scale: float, zp: int) -> None:
    p = output_q16_params(scale, zp)
    q = np.arange(-128, 128)
    got = dequantize_q16(q, p)
    real = (q - zp) * Fraction(scale) * 2**16
    err = [abs(Fraction(int(g)) - r) for g, r in zip(got, real, strict=True)]
    # rounding (1/2) plus the multiplier's rounding, |M / 2^r - s 2^16| <= 2^-(r+1), at |q - zp| <= 255
    assert max(err) <= Fraction(1, 2) + Fraction(255, 2 ** (1 - p.shift))


def test_q16_refusals() -> None:
    with pytest.raises(ModelError, match="does not fit Q16.16"):
        output_q16_params(64.5, -128)
    with pytest.raises(ModelError, match="model output scale -1.0"):
        output_q16_params(-1.0, 0)
    assert output_q16_params(64.0, 0).multiplier > 0  # |real| <= 8192


def test_golden_io_header_is_current() -> None:
    committed = (ROOT / "test" / "test_io" / "golden_io.h").read_text()
    same_text(golden_io.render(), committed, "golden_io.h", "m0nn golden")


def test_input_scale_option_syntax() -> None:
    assert parse_input_scales("") == {}
    assert parse_input_scales("\ndigits = 0.0625\ntilt = 6.1e-4 zero=-512\n") == {
        "digits": (0.0625, 0),
        "tilt": (0.00061, -512),
    }
    for bad, message in [
        ("digits 0.0625", "is not `MODEL = SCALE`"),
        ("digits = x", "'x' is not a number"),
        ("digits = -0.5", "digits: input scale -0.5 is not a finite positive number"),
        ("digits = 0", "digits: input scale 0.0"),
        ("digits = 1, digits = 2", "given twice"),
        ("digits = 1 zero=99999999999", "not an int32"),
    ]:
        with pytest.raises(ValueError, match=message.replace("(", r"\(")):
            parse_input_scales(bad)
    # A scale written differently but equal records the same settings line.
    assert (
        Settings(input_scale=parse_input_scales("d = 6.25e-2")["d"][0])
        .line()
        .endswith("input_scale=0.0625 input_zero=0")
    )


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    for name in ("digits.onnx", "digits.test.npz", "tilt.onnx"):
        shutil.copy(MODELS / name, proj / "models" / name)
    return proj


def test_prebuild_option_regenerates_when_the_scale_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _project(tmp_path)
    gen = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    capsys.readouterr()
    assert prebuild.run(proj, input_scales="digits = 0.0625") == 0
    out = capsys.readouterr().out
    assert "regenerating models/digits.onnx (settings changed" in out and "tilt.onnx" not in out
    header, test_header = (gen / "digits.h").read_text(), (gen / "digits_test.h").read_text()
    assert "settings: kernel=b8 requant=auto min_bits=10 input_scale=0.0625 input_zero=0" in header
    assert (
        "static const m0nn_quantize_params_t digits_raw_input = {0, 16, 0, 0, 133693432, -23, -128, -128, 127};"
        in header
    )
    assert "#define DIGITS_TEST_RAW 1" in test_header
    assert "digits_raw_input" not in (gen / "tilt.h").read_text()

    assert prebuild.run(proj, input_scales="digits = 6.25e-2") == 0
    assert "2 model(s) up to date" in capsys.readouterr().out
    assert prebuild.run(proj, input_scales="digits = 0.0625 zero=1") == 0
    assert "regenerating models/digits.onnx (settings changed" in capsys.readouterr().out
    assert prebuild.run(proj) == 0  # the option removed: back to no conversion
    assert "digits_raw_input" not in (gen / "digits.h").read_text()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("digit = 0.0625", "custom_m0nn_input_scale: names no model: digit (models: digits, tilt)"),
        ("digits = -1", "custom_m0nn_input_scale: digits: input scale -1.0 is not a finite positive number"),
        ("digits: 0.5", "custom_m0nn_input_scale: 'digits: 0.5' is not `MODEL = SCALE`"),
        ("digits = 1e12", "digits.onnx: raw input conversion: raw input scale / model input scale"),
    ],
)
def test_prebuild_option_errors_leave_headers_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    proj = _project(tmp_path)
    gen = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    before = {p.name: p.read_bytes() for p in gen.iterdir()}
    capsys.readouterr()
    assert prebuild.run(proj, input_scales=option) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert {p.name: p.read_bytes() for p in gen.iterdir()} == before


def test_gen_cli_input_scale(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "m0nn", "gen", str(MODELS / "tilt.onnx"), "-o", str(tmp_path)]
    ok = subprocess.run([*cmd, "--input-scale", "0.000598", "--input-zero", "-512"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    header = (tmp_path / "tilt.h").read_text()
    assert "input_scale=0.000598 input_zero=-512" in header and "tilt_input_from_s16" in header
    bad = subprocess.run([*cmd, "--input-scale", "-2"], capture_output=True, text=True)
    assert (
        bad.returncode == 1
        and bad.stderr.strip() == "m0nn gen: error: input scale -2.0 is not a finite positive number"
    )


def test_committed_headers_have_the_q16_output_only() -> None:
    header = (GENERATED / "digits.h").read_text()
    assert "digits_output_to_q16" in header and "digits_raw_input" not in header


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs the ARM toolchain")
def test_input_scale_option_end_to_end_on_host_and_m0(tmp_path: Path, m0qemu: None) -> None:
    """`custom_m0nn_input_scale = digits = 0.0625`: the pre-build writes the raw
    conversion and raw test vectors, and test_model_digits checks them on the host
    and the emulated Cortex-M0 (raw pixels -> int8 input, outputs -> Q16.16)."""
    proj = copy_project(tmp_path / "proj")
    ini = proj / "platformio.ini"
    ini.write_text(ini.read_text().replace("[env]\n", "[env]\ncustom_m0nn_input_scale = digits = 0.0625\n", 1))
    result = pio("test", "-e", "native", "-e", "m0_qemu", "-f", "test_model_digits", cwd=proj)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    gen = proj / "lib" / "m0nn" / "generated"
    assert "input_scale=0.0625 input_zero=0" in (gen / "digits.h").read_text()
    assert "#define DIGITS_TEST_RAW 1" in (gen / "digits_test.h").read_text()
    assert out.count("test_digits_raw_input_equals_the_quantized_input\t[PASSED]") == 2
    assert out.count("test_digits_output_q16_equals_the_reference\t[PASSED]") == 2
    assert "12 test cases: 12 succeeded" in out
