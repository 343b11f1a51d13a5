"""What an m0qemu image must fit beyond each model's own budget, checked in a new project
through `pio run` / `pio test`: static RAM plus the stack the linked models state (the
builder's ramcheck.py), and the m0nn test image that links every model with test vectors."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import MODELS, needs_arm
from test_plugin import m0nn, ok, pio, user_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "m0nn" / "pio" / "platforms" / "m0qemu" / "builder"))
import ramcheck  # noqa: E402

BIG_RAM_MAIN = """/* The firmware's own data fills RAM; the model's stack must not reach it. */
#include "digits_cnn.h"

volatile uint8_t big[BIG];

int main(void)
{
    static int8_t arena[DIGITS_CNN_ARENA_SIZE] M0NN_ALIGN4;
    int8_t input[DIGITS_CNN_INPUT_SIZE] = {0};
    int8_t output[DIGITS_CNN_OUTPUT_SIZE];
    for (unsigned i = 0; i < sizeof big; ++i) {
        big[i] = 0x5a;
    }
    m0nn_status_t status = digits_cnn_run(input, output, arena);
    for (unsigned i = 0; i < sizeof big; ++i) {
        if (big[i] != 0x5a) {
            return 2;
        }
    }
    return status == M0NN_OK ? 0 : 1;
}
"""


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pio-core")


@needs_arm
def test_static_ram_plus_the_models_stack_must_fit(tmp_path: Path, core: Path) -> None:
    """15,000 bytes of the firmware's own data and a conv model whose header states 1,180 bytes
    of stack: the link fits (96% RAM) but the stack would run into the data, so the build stops
    after the link with one m0nn line and the numbers; shrunk by what it says, the image runs on
    QEMU with its data intact. A model the firmware never calls does not count."""
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    proj = user_project(tmp_path / "fw", core)
    for name in ("digits_cnn.onnx", "activity.onnx"):  # activity (1,284 bytes of stack): never called
        (proj / "models" / name).write_bytes((MODELS / name).read_bytes())
    ok(m0nn("init", "--no-setup", cwd=proj, core=core))
    main = proj / "src" / "main.c"
    main.write_text(BIG_RAM_MAIN.replace("BIG", "15000"))
    result = pio("run", "-e", "m0_qemu", cwd=proj, core=core)
    log = result.stdout + result.stderr
    errors = [x for x in log.splitlines() if x.startswith("m0nn: error")]
    assert result.returncode != 0 and len(errors) == 1, log
    found = re.fullmatch(
        r"m0nn: error: RAM: static (\d+) \(\.data \+ \.bss\) \+ the stack bound of digits_cnn_run 1180"
        r" \+ m0qemu_reset's frame (\d+) \+ main's frame (\d+) = (\d+) > 16384 bytes \(board microbit_qemu\); "
        r"the stack would overwrite the firmware's data: shrink its static buffers by (\d+) bytes or more",
        errors[0],
    )
    assert found, errors[0]
    static, reset, frame, total, over = map(int, found.groups())
    assert static > 15000 and total == static + 1180 + reset + frame and over == total - 16384
    main.write_text(BIG_RAM_MAIN.replace("BIG", str(15000 - over)))
    log = ok(pio("run", "-e", "m0_qemu", "-t", "upload", cwd=proj, core=core))
    assert "m0nn: error" not in log, log


def test_ramcheck_reads_the_prologue_of_the_entry_frames() -> None:
    assert ramcheck.prologue_bytes(bytes.fromhex("90b585b000af")) == 32
    assert ramcheck.prologue_bytes(bytes.fromhex("10b500f0")) == 8  # push {r4, lr}; bl
    assert ramcheck.prologue_bytes(b"") == 0


def path_without(tmp_path: Path, missing: str) -> str:
    """A PATH of links to every program on this PATH but `missing`."""
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for program in Path(folder).glob("*") if Path(folder).is_dir() else []:
            if program.name != missing and not (bin_dir / program.name).exists():
                (bin_dir / program.name).symlink_to(program)
    return str(bin_dir)


@needs_arm
def test_without_qemu_the_upload_and_the_tests_say_so(
    tmp_path: Path, core: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No qemu-system-arm on PATH (a CI image with the toolchain only): `-t upload` and `pio test`
    name it and its Debian package in one m0nn line (PlatformIO's runner showed nothing)."""
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    proj = user_project(tmp_path / "fw", core)
    ok(m0nn("init", "--no-setup", cwd=proj, core=core))
    monkeypatch.setenv("PATH", path_without(tmp_path, "qemu-system-arm"))
    line = (
        "m0nn: error: qemu-system-arm is not on PATH: the m0qemu platform runs its images on it; "
        "install it with: sudo apt-get install qemu-system-arm"
    )
    for args in (("run", "-e", "m0_qemu", "-t", "upload"), ("test", "-e", "m0_qemu")):
        result = pio(*args, cwd=proj, core=core)
        log = result.stdout + result.stderr
        assert result.returncode != 0 and line in log.splitlines(), log


STRICT_MAIN = """/* A project that compiles with ISO C's warnings as errors, using an FC and a conv model. */
#include "digits.h"
#include "digits_cnn.h"

int main(void)
{
    static int8_t arena[DIGITS_CNN_ARENA_SIZE + DIGITS_ARENA_SIZE] M0NN_ALIGN4;
    int8_t input[DIGITS_CNN_INPUT_SIZE] = {0};
    int8_t output[DIGITS_CNN_OUTPUT_SIZE];
    return digits_run(input, output, arena) == M0NN_OK && digits_cnn_run(input, output, arena) == M0NN_OK ? 0 : 1;
}
"""
STRICT_FLAGS = "build_flags = -std=c99 -Wall -Wextra -Werror -pedantic -Wcast-align"


@needs_arm
def test_m0nns_sources_build_under_a_projects_strict_flags(tmp_path: Path, core: Path) -> None:
    """A project's build_flags also compile m0nn's library and the m0qemu board support:
    -pedantic and -Wcast-align with -Werror (common in firmware projects) break neither, on the
    emulated micro:bit, the bare-metal one (UART output) and the host."""
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    proj = user_project(tmp_path / "fw", core)
    (proj / "models" / "digits_cnn.onnx").write_bytes((MODELS / "digits_cnn.onnx").read_bytes())
    (proj / "src" / "main.c").write_text(STRICT_MAIN)
    ok(m0nn("init", "--no-setup", cwd=proj, core=core))
    ini = proj / "platformio.ini"
    envs = {
        "strict_qemu": "platform = m0qemu\nboard = microbit_qemu",
        "strict_bare": "platform = m0qemu\nboard = microbit_bare",
    }
    envs["strict_host"] = "platform = native"
    ini.write_text(
        ini.read_text()
        + "".join(f"\n[env:{name}]\n{body}\ntest_framework = custom\n{STRICT_FLAGS}\n" for name, body in envs.items())
    )
    for name in envs:
        log = ok(pio("run", "-e", name, cwd=proj, core=core))
        assert "warning" not in log, log


def wide_model(path: Path, n_in: int, n_out: int, seed: int) -> None:
    """A one-layer QDQ model with n_in x n_out int8 weights (flash to fill) and 4 test vectors."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w_scale = rng.uniform(0.0005, 0.001, n_out).astype(np.float32)
    s_in = np.float32(0.02)
    arrays = {
        "s_in": s_in,
        "zp_in": np.array(0, dtype=np.int8),
        "w_q": rng.integers(-127, 128, size=(n_in, n_out)).astype(np.int8),
        "w_scale": w_scale,
        "w_zp": np.zeros(n_out, dtype=np.int8),
        "b_q": rng.integers(-500, 500, size=n_out).astype(np.int32),
        "b_scale": (s_in * w_scale).astype(np.float32),
        "b_zp": np.zeros(n_out, dtype=np.int32),
        "s_out": np.float32(0.05),
        "zp_out": np.array(0, dtype=np.int8),
    }
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "s_in", "zp_in"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "s_in", "zp_in"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"], axis=1),
        helper.make_node("DequantizeLinear", ["b_q", "b_scale", "b_zp"], ["b"], axis=0),
        helper.make_node("MatMul", ["xd", "w"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], ["lin"]),
        helper.make_node("QuantizeLinear", ["lin", "s_out", "zp_out"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "s_out", "zp_out"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "wide",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", n_out])],
        [numpy_helper.from_array(a, n) for n, a in arrays.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    np.savez(path.with_suffix(".test.npz"), x=rng.normal(size=(4, n_in)).astype(np.float32), y=np.arange(4))


@needs_arm
def test_test_image_of_models_that_each_fit(tmp_path: Path, core: Path) -> None:
    """Three models of ~100 KB that each fit the micro:bit, all with test vectors: m0nn's test
    image cannot hold them together. `pio test -e m0_qemu` stops before the link with one m0nn
    line naming the models and their sizes (not ld's `region 'FLASH' overflowed`);
    custom_m0nn_test_models in that environment tests two of them, and the firmware build and
    native's suite are untouched. A path that is no model is one line naming the option."""
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    proj = user_project(tmp_path / "fw", core)
    for seed, name in enumerate(("big1", "big2", "big3")):
        wide_model(proj / "models" / f"{name}.onnx", 1000, 100, seed)
    ok(m0nn("init", "--no-setup", cwd=proj, core=core))
    result = pio("test", "-e", "m0_qemu", cwd=proj, core=core)
    log = result.stdout + result.stderr
    errors = [x for x in log.splitlines() if x.startswith("m0nn: error")]
    assert result.returncode != 0 and len(errors) == 1 and "overflowed" not in log, log
    assert re.fullmatch(
        r"m0nn: error: m0nn's test image \(every model with test vectors\) links big1 \(model data (\d+) \+ test "
        r"vectors (\d+)\), big2 \(model data \1 \+ test vectors \2\), big3 \(model data \1 \+ test vectors \2\), "
        r"digits \(model data \d+ \+ test vectors \d+\) \+ lib/m0nn code \d+: at least (\d+) bytes of flash, "
        r"the target has 262144 \(board microbit_qemu\); test fewer at once: custom_m0nn_test_models = "
        r"models/<name>.onnx, ... in this environment \(README, Options\)",
        errors[0],
    ), errors[0]
    ini = proj / "platformio.ini"
    text = ini.read_text()
    ini.write_text(text.replace("[env:m0_qemu]\n", "[env:m0_qemu]\ncustom_m0nn_test_models = models/big4.onnx\n", 1))
    wrong = pio("run", "-e", "m0_qemu", cwd=proj, core=core)
    assert wrong.returncode != 0 and wrong.stderr.startswith(
        "m0nn: error: custom_m0nn_test_models: models/big4.onnx is not one of the project's models "
        "(models/big1.onnx, models/big2.onnx, models/big3.onnx, models/digits.onnx)"
    ), wrong.stderr
    two = "[env:m0_qemu]\ncustom_m0nn_test_models = models/big1.onnx,\n    models/big3.onnx\n"
    ini.write_text(text.replace("[env:m0_qemu]\n", two, 1))
    log = ok(pio("test", "-e", "m0_qemu", cwd=proj, core=core))
    assert "8 test cases: 8 succeeded" in log and "test_big3_every_output_equals_the_reference" in log, log
    assert "test_big2_" not in log and "test_digits_" not in log, log


def test_one_model_whose_test_vectors_overflow_is_told_to_use_fewer() -> None:
    """One model: its own budget passes (model data + code), its test vectors do not fit beside it."""
    from conftest import ROOT

    from m0nn.budget import Budget, header_needs
    from m0nn.plugin import suite_image

    out = ROOT / "lib" / "m0nn" / "generated"
    needs = header_needs((out / "digits.h").read_text())
    assert needs is not None
    budget = Budget(flash=needs.flash_data + needs.flash_code + 100, flash_from="custom_m0nn_flash")
    line = suite_image.overflow(out, ["digits"], budget, selected=False)
    assert line is not None and line.endswith(
        f"the target has {budget.flash} (custom_m0nn_flash); fewer test vectors in models/digits.test.npz make it fit"
    ), line
    assert suite_image.overflow(out, ["digits"], Budget(), selected=False) is None
