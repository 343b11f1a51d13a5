"""The emulated Cortex-M0 test path fails when it must: a failed assertion, a
HardFault (an ARMv7-M instruction the M0 does not have), a hang, and a float
or division helper in the image (the zero-FP gate)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, needs_arm, pio

PLATFORM = ROOT / "python" / "m0nn" / "pio" / "platforms" / "m0qemu"
FPGATE = PLATFORM / "builder" / "fpgate.py"

INI = """
[env]
test_framework = custom

[env:m0]
platform = m0qemu
board = microbit_qemu
build_flags = -O2
custom_m0qemu_timeout = 10

[env:m0_strict]
platform = m0qemu
board = microbit_qemu
custom_m0nn_fp_gate = strict

[env:m0_off]
platform = m0qemu
board = microbit_qemu
custom_m0nn_fp_gate = off

[env:m0_typo]
platform = m0qemu
board = microbit_qemu
custom_m0nn_fp_gate = stric
"""

SUITES = {
    "test_fails": "static void test_wrong(void) { M0NN_ASSERT_EQ_INT(1, 2); }\n"
    "int main(void) { M0NN_RUN_TEST(test_wrong); return m0nn_unit_end(); }\n",
    "test_faults": 'static void test_sdiv(void) { __asm__ volatile(".inst.w 0xfb90f0f1"); }\n'
    "int main(void) { M0NN_RUN_TEST(test_sdiv); return m0nn_unit_end(); }\n",
    "test_hangs": 'static void test_forever(void) { for (;;) { __asm__ volatile(""); } }\n'
    "int main(void) { M0NN_RUN_TEST(test_forever); return m0nn_unit_end(); }\n",
    "test_passes": "static void test_ok(void) { M0NN_ASSERT_EQ_INT(3, 1 + 2); }\n"
    "int main(void) { M0NN_RUN_TEST(test_ok); return m0nn_unit_end(); }\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, m0qemu: None) -> Path:
    proj = tmp_path_factory.mktemp("m0runner")
    (proj / "platformio.ini").write_text(INI)
    (proj / "test").mkdir()
    for name in ("m0nn_unit.c", "m0nn_unit.h", "test_custom_runner.py"):
        shutil.copy(ROOT / "test" / name, proj / "test" / name)
    for suite, body in SUITES.items():
        (proj / "test" / suite).mkdir()
        (proj / "test" / suite / f"{suite}.c").write_text('#include "m0nn_unit.h"\n' + body)
    (proj / "src").mkdir()
    (proj / "src" / "main.c").write_text(
        "volatile int n = 3; volatile float f = 1.5f;\nint main(void) { return (int)(f * (float)n) + n / (n - 1); }\n"
    )
    return proj


@needs_arm
@pytest.mark.parametrize(
    ("suite", "passed", "evidence"),
    [
        ("test_passes", True, "test_ok\t[PASSED]"),
        ("test_fails", False, "test_wrong: 2 expected 1 was 2"),
        ("test_faults", False, "HardFault"),
        ("test_hangs", False, "timed out"),
    ],
)
def test_outcomes(project: Path, suite: str, passed: bool, evidence: str) -> None:
    result = pio("test", "-e", "m0", "-f", suite, cwd=project, timeout=120)
    log = result.stdout + result.stderr
    assert (result.returncode == 0) is passed, log
    assert evidence.split("\t")[0] in log, log


@needs_arm
@pytest.mark.parametrize(
    ("env", "passes", "evidence"),
    [
        # default (m0nn): the project's own float and `/` are allowed, and named
        ("m0", True, "the project's own code links __aeabi_idiv pulled in by .pio/build/m0/src/main.o"),
        ("m0_strict", False, "__aeabi_fmul pulled in by .pio/build/m0_strict/src/main.o"),
        ("m0_off", True, None),
    ],
)
def test_zero_fp_gate_modes_on_the_projects_own_code(project: Path, env: str, passes: bool, evidence: str) -> None:
    result = pio("run", "-e", env, cwd=project, timeout=120)
    log = result.stdout + result.stderr
    assert (result.returncode == 0) is passes, log
    if evidence is None:
        assert "__aeabi" not in log and "Zero-FP gate" not in log, log
    else:
        assert evidence in log, log
    if not passes:
        assert "links float/division helpers" in log and "__aeabi_idiv" in log, log


@needs_arm
def test_zero_fp_gate_mode_typo_stops_the_build_before_compiling(project: Path) -> None:
    result = pio("run", "-e", "m0_typo", cwd=project, timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "custom_m0nn_fp_gate = 'stric': choose one of m0nn, strict, off" in log, log
    assert "Compiling" not in log and "Traceback" not in log, log


@needs_arm
def test_upload_of_a_firmware_that_never_returns_names_the_timeout(tmp_path: Path, m0qemu: None) -> None:
    """`-t upload` (QEMU) of an embedded `for(;;)` ended in `*** [upload] Error 124` after the
    timeout with no line saying why: it names the timeout and its option."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text('int main(void) { for (;;) { __asm__ volatile(""); } }\n')
    (tmp_path / "platformio.ini").write_text(
        "[env:m0]\nplatform = m0qemu\nboard = microbit_qemu\ncustom_m0qemu_timeout = 2\n"
    )
    result = pio("run", "-e", "m0", "-t", "upload", cwd=tmp_path, timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "m0qemu: the firmware did not return within 2 s (custom_m0qemu_timeout)" in log, log
    assert "Traceback" not in log, log


@needs_arm
def test_zero_fp_gate_names_m0nns_own_object(tmp_path: Path, m0qemu: None) -> None:
    """A division inside a library called m0nn fails the default gate, naming its object."""
    lib = tmp_path / "lib" / "m0nn"
    (lib / "src").mkdir(parents=True)
    (lib / "library.json").write_text('{"name": "m0nn", "version": "0.0.0"}')
    (lib / "src" / "m0nn_scale.c").write_text("int m0nn_scale(int a, int b) { return a / b; }\n")
    (lib / "src" / "m0nn_scale.h").write_text("int m0nn_scale(int a, int b);\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text(
        '#include "m0nn_scale.h"\nvolatile int n = 7;\nint main(void) { return m0nn_scale(n, 3); }\n'
    )
    (tmp_path / "platformio.ini").write_text("[env:m0]\nplatform = m0qemu\nboard = microbit_qemu\n")
    result = pio("run", "-e", "m0", cwd=tmp_path, timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "__aeabi_idiv pulled in by m0nn's .pio/build/m0/" in log and "libm0nn.a(m0nn_scale.o)" in log, log


@needs_arm
def test_fpgate_script_on_clean_and_float_images(tmp_path: Path) -> None:
    src = tmp_path / "f.c"
    src.write_text("float g(float a, float b) { return a / b; }\nint h(int a, int b) { return a % b; }\n")
    elf = tmp_path / "f.o"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb", "-O2", "-c", str(src), "-o", str(elf)],
                   check=True)  # fmt: skip
    bad = subprocess.run([sys.executable, str(FPGATE), str(elf)], capture_output=True, text=True)
    assert bad.returncode == 1 and "__aeabi_fdiv" in bad.stderr and "__aeabi_idivmod" in bad.stderr
    clean = tmp_path / "c.c"
    clean.write_text("int k(int a, int b) { return (a * b) >> 3; }\n")
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb", "-O2", "-c", str(clean), "-o",
                    str(tmp_path / "c.o")], check=True)  # fmt: skip
    ok = subprocess.run([sys.executable, str(FPGATE), str(tmp_path / "c.o")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
