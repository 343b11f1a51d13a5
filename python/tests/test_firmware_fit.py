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
