"""Issue 13's numeric edges through the generator: every layer it writes is one
its kernel accepts and computes within int32, or the model is refused with one
line naming the layer; zero points of weights and biases are exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx_layers import gemm_layer_model

from m0nn import legal
from m0nn.cli import main as cli
from m0nn.codegen import render_model_header
from m0nn.errors import ModelError
from m0nn.onnx_import import import_model
from m0nn.plan import configure
from m0nn.quant import Requant
from m0nn.reference import run_int
from m0nn.settings import Settings


def _issue_item1_model(path: Path) -> Path:
    """Gemm 130 -> 2, weights 127 (row 1 alternating +-127), input scale 1/8,
    weight scale 1/64, output scale 1/(8 * 64 * 511.9), no bias: the real
    multiplier 511.9 rounds up to 2^10 in 10 bits."""
    w = np.full((2, 130), 127, np.int8)
    w[1, 1::2] = -127
    return gemm_layer_model(path, w, 1 / 64, 1 / 8, 1 / (8 * 64 * 511.9))


def test_item1_mul32_refuses_in_one_line_naming_the_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _issue_item1_model(tmp_path / "m.onnx")
    assert cli(["gen", str(model), "-o", str(tmp_path / "out"), "--requant", "mul32"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "layer 0 (gemm)" in err and "use q31" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "m.h").exists()


@pytest.mark.parametrize("kernel", ["b8", "b8w", "ref"])
def test_item1_and_5_auto_falls_back_to_q31(tmp_path: Path, kernel: str) -> None:
    model = _issue_item1_model(tmp_path / "m.onnx")
    assert cli(["gen", str(model), "-o", str(tmp_path / "out"), "--kernel", kernel]) == 0
    text = (tmp_path / "out" / "m.h").read_text()
    assert "requantization q31" in text and "M0NN_REQUANT_Q31" in text
    q = configure(import_model(model), Settings(kernel=kernel))
    assert q.layers[0].requant.mode == "q31"


def test_item1_generator_checks_each_layer_as_its_kernel_does(tmp_path: Path) -> None:
    """A MUL32 layer with shift 0 (what the narrow rounding used to produce) is
    refused before anything is written, naming the layer and the kernel's status."""
    model = configure(import_model(_issue_item1_model(tmp_path / "m.onnx")), Settings(kernel="b8"))
    model.layers[0].requant = Requant("mul32", np.array([512], np.int32), np.array([0], np.int32))
    with pytest.raises(ModelError, match=r"layer 0 \(gemm\): shift 0 is outside \[-31, -1\].*M0NN_ERR_QUANT"):
        render_model_header(model, "test")


def test_item4_q31_left_shift_beyond_int32_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real multiplier 2^12 (shift 13) with 64 inputs of weight 127: |acc| up to
    1,040,384, times 2^13 leaves int32."""
    path = gemm_layer_model(tmp_path / "big.onnx", np.full((3, 64), 127, np.int8), 2.0**-4, 2.0**-4, 2.0**-20)
    for requant in ("q31", "auto"):
        assert cli(["gen", str(path), "-o", str(tmp_path / "out"), "--requant", requant]) != 0
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "layer 0 (gemm)" in err and "q31 left shift" in err, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_item4_left_shift_that_fits_is_generated(tmp_path: Path) -> None:
    """Real multiplier 8 (shift 4) with small weights: generated, and the left
    shift is the one the reference and the kernel share."""
    path = gemm_layer_model(tmp_path / "small.onnx", np.full((3, 4), 2, np.int8), 2.0**-4, 2.0**-4, 2.0**-11)
    assert cli(["gen", str(path), "-o", str(tmp_path / "out"), "--requant", "q31"]) == 0
    model = configure(import_model(path), Settings(requant="q31"))
    assert model.layers[0].requant.shift.tolist() == [4]


def test_item5_multiplier_of_2_30_saturates_then_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TFLite saturates a real multiplier >= 2^30 to (2^31 - 1, 30); no int8
    accumulator but 0 and +-1 survives a left shift of 30, so the layer is refused."""
    path = gemm_layer_model(tmp_path / "huge.onnx", np.full((2, 3), 1, np.int8), 1.0, 1.0, 2.0**-31)
    model = configure(import_model(path), Settings(requant="q31"))
    assert model.layers[0].requant.multiplier.tolist() == [2**31 - 1]
    assert model.layers[0].requant.shift.tolist() == [30]
    assert cli(["gen", str(path), "-o", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "layer 0 (gemm)" in err and "2^30" in err, err


def test_every_generated_layer_passes_the_kernel_check() -> None:
    """The legal ranges are exactly m0nn_fc_s8_check's: a sample of each."""
    ok = Requant("q31", np.array([2**30]), np.array([-3]))
    legal.check_params(legal.CParams(65535, 1, 0, 255, 0, 255, ok, True))
    for bad in (
        legal.CParams(0, 1, 0, 0, -128, 127, ok, False),
        legal.CParams(1, 65536, 0, 0, -128, 127, ok, False),
        legal.CParams(1, 1, 129, 0, -128, 127, ok, False),
        legal.CParams(1, 1, 5, 0, -128, 127, ok, True),
        legal.CParams(1, 1, 0, 256, -128, 127, ok, False),
        legal.CParams(1, 1, 0, 0, -128, 128, ok, False),
        legal.CParams(1, 1, 0, 0, 10, 9, ok, False),
        legal.CParams(1, 1, 0, 0, -128, 127, Requant("q31", np.array([2**30]), np.array([31])), False),
        legal.CParams(1, 1, 0, 0, -128, 127, Requant("q31", np.array([-1]), np.array([0])), False),
        legal.CParams(1, 1, 0, 0, -128, 127, Requant("shift", np.array([1]), np.array([1])), False),
        legal.CParams(1, 1, 0, 0, -128, 127, Requant("mul32", np.array([1]), np.array([-32])), False),
    ):
        with pytest.raises(ModelError):
            legal.check_params(bad)


def _ort_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    ort = pytest.importorskip("onnxruntime")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    m = onnx.load(str(path))
    m.graph.output.append(onnx.helper.make_tensor_value_info("yq", onnx.TensorProto.INT8, None))
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(["yq"], {"input": x.astype(np.float32)})[0]).astype(np.int64)


def _int_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    from m0nn.reference import quantize_input

    model = import_model(path)
    return run_int(model, quantize_input(model, x))[-1].astype(np.int64)


@pytest.mark.parametrize(
    "case",
    [
        "bias_zero_point",
        "weight_zero_point_int8",
        "uint8_weights_zp_128",
        "uint8_weights_per_channel_zp",
        "uint8_weights_zp_0_run_time",
        "int8_weights_zp_100_run_time",
        "uint8_weights_per_channel_run_time",
    ],
)
def test_item6_zero_points_match_onnxruntime(tmp_path: Path, case: str) -> None:
    """Nonzero bias and weight zero points, uint8 weights: the integer path
    within 1 LSB of onnxruntime running the same QDQ graph (it was 14 LSB off
    with a bias zero point)."""
    rng = np.random.default_rng(13)
    n_in, n_out = 16, 6
    w_scale: float | np.ndarray = 0.01
    b_q, b_zp, w_zp = rng.integers(-300, 300, n_out).astype(np.int32), 0, 0
    if case == "bias_zero_point":
        w = rng.integers(-100, 100, (n_out, n_in)).astype(np.int8)
        b_zp = 700
    elif case == "weight_zero_point_int8":
        w = rng.integers(-100, 100, (n_out, n_in)).astype(np.int8)
        w_zp = 9
    elif case == "uint8_weights_zp_128":
        w = rng.integers(0, 256, (n_out, n_in)).astype(np.uint8)
        w_zp = 128
    elif case == "uint8_weights_per_channel_zp":
        w_scale = rng.uniform(0.005, 0.02, n_out).astype(np.float32)
        w_zp = rng.integers(100, 140, n_out)
        w = (rng.integers(-90, 90, (n_out, n_in)) + w_zp[:, None]).astype(np.uint8)
    elif case == "uint8_weights_zp_0_run_time":
        w = rng.integers(0, 256, (n_out, n_in)).astype(np.uint8)
        w_scale = 0.002
    elif case == "int8_weights_zp_100_run_time":
        w = rng.integers(-128, 128, (n_out, n_in)).astype(np.int8)
        w_zp, w_scale = 100, 0.002
    else:
        w_scale = rng.uniform(0.001, 0.004, n_out).astype(np.float32)
        w_zp = rng.integers(0, 256, n_out)
        w = rng.integers(0, 256, (n_out, n_in)).astype(np.uint8)
    path = gemm_layer_model(tmp_path / "zp.onnx", w, w_scale, 0.05, 0.08, zp_in=-7, zp_out=5, w_zp=w_zp, b_q=b_q,
                            b_zp=b_zp)  # fmt: skip
    x = rng.uniform(-6, 6, (300, n_in))
    ours, theirs = _int_outputs(path, x), _ort_outputs(path, x)
    assert (import_model(path).layers[0].weight_zero_point.size > 0) == case.endswith("run_time")
    assert np.abs(ours - theirs).max() <= 1
    assert np.mean(ours == theirs) > 0.9


def test_item6_bias_zero_point_is_not_ignored(tmp_path: Path) -> None:
    w = np.eye(4, dtype=np.int8) * 100
    b_q = np.zeros(4, np.int32)
    plain = import_model(gemm_layer_model(tmp_path / "a.onnx", w, 0.01, 0.05, 0.08, b_q=b_q))
    shifted = import_model(gemm_layer_model(tmp_path / "b.onnx", w, 0.01, 0.05, 0.08, b_q=b_q + 50, b_zp=50))
    assert np.array_equal(plain.layers[0].bias, shifted.layers[0].bias)


def test_item6_zero_points_beyond_int8_are_applied_at_run_time(tmp_path: Path) -> None:
    """uint8 weights with zero point 0 (w - zp up to 255): stored as int8 w - 128
    with zero point -128 for the kernel; folded where it fits."""
    w = np.array([[0, 255, 3], [9, 8, 7]], np.uint8)
    model = import_model(gemm_layer_model(tmp_path / "u8.onnx", w, 0.01, 0.05, 0.08))
    layer = model.layers[0]
    assert layer.weights.tolist() == [[-128, 127, -125], [-119, -120, -121]]
    assert layer.weight_zero_point.tolist() == [-128]
    assert layer.effective_weights.tolist() == w.astype(int).tolist()
    folded = import_model(gemm_layer_model(tmp_path / "f.onnx", w, 0.01, 0.05, 0.08, w_zp=128))
    assert folded.layers[0].weight_zero_point.size == 0
    assert folded.layers[0].weights.tolist() == (w.astype(int) - 128).tolist()
    for kernel in ("b8", "b8w", "ref"):
        text = render_model_header(configure(model, Settings(kernel=kernel)), "test")
        assert "u8_l0_weight_zero_point[1]" in text and "u8_l0_shift, u8_l0_weight_zero_point}}" in text


def test_item14_single_layer_reference_model_passes_its_model_tests(tmp_path: Path) -> None:
    """One layer on the reference kernel needs no arena (ARENA_SIZE 0): the
    shared model-test harness used to fail on its "one byte short" case."""
    from conftest import copy_project, pio

    proj = copy_project(tmp_path / "proj")
    rng = np.random.default_rng(14)
    w = rng.integers(-127, 128, (5, 12)).astype(np.int8)
    gemm_layer_model(proj / "models" / "one.onnx", w, 0.01, 0.05, 0.08, zp_in=3, zp_out=-4,
                     b_q=rng.integers(-300, 300, 5).astype(np.int32), relu=True)  # fmt: skip
    np.savez(proj / "models" / "one.test.npz", x=rng.uniform(-6, 6, (20, 12)).astype(np.float32))
    suite = proj / "test" / "test_model_one"
    suite.mkdir()
    (suite / "test_model_one.c").write_text(
        '#include "m0nn.h"\n#include "one.h"\n#include "one_test.h"\n\n'
        '#define M0NN_TEST_MODEL one\n#define M0NN_TEST_MODEL_UP ONE\n#include "model_test_body.h"\n'
    )
    ini = proj / "platformio.ini"
    ini.write_text(ini.read_text().replace("[env]\n", "[env]\ncustom_m0nn_kernel = ref\n", 1))
    result = pio("test", "-e", "native", "-f", "test_model_one", cwd=proj)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "#define ONE_ARENA_SIZE 0" in (proj / "lib" / "m0nn" / "generated" / "one.h").read_text()
    assert "4 test cases: 4 succeeded" in out, out
