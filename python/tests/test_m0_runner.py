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

INI = f"""
[env:m0]
platform = symlink://{PLATFORM}
board = microbit_qemu
test_framework = custom
build_flags = -O2
test_testing_command =
    timeout
    10
    qemu-system-arm
    -M
    microbit
    -nographic
    -monitor
    none
    -serial
    none
    -semihosting-config
    enable=on,target=native
    -kernel
    ${{platformio.build_dir}}/${{this.__env__}}/program.elf
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
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
def test_zero_fp_gate_fails_a_float_build(project: Path) -> None:
    result = pio("run", "-e", "m0", cwd=project, timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "links float/division helpers" in log
    for helper in ("__aeabi_fmul", "__aeabi_idiv"):
        assert helper in log


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
