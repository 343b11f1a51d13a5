"""The bare-metal BBC micro:bit v1 image (env microbit_bare): no semihosting, the
results over the nRF51 UART, an Intel HEX for DAPLink, upload through pyOCD.

The .hex a user drops on the board runs on QEMU's micro:bit with the serial port
on QEMU's stdout; its transcript must equal what the semihosting image (env
m0_qemu, the same src/) prints. The UART image cannot exit QEMU (a real board has
nothing to exit to: it sleeps after main), so the test reads until the image's
last line, `m0qemu: exit status N`, and then stops QEMU itself."""

from __future__ import annotations

import os
import re
import selectors
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, copy_project, needs_arm, pio

EXIT_LINE = re.compile(r"^m0qemu: exit status (-?\d+)$")
QEMU_SECONDS = 60


def run_uart_image(image: Path, seconds: int = QEMU_SECONDS) -> tuple[list[str], int]:
    """The lines an UART image prints on QEMU's micro:bit (CR LF -> LF) and the exit
    status its last line reports; QEMU is stopped once that line has arrived."""
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-M", "microbit", "-display", "none", "-monitor", "none",
         "-serial", "stdio", "-device", f"loader,file={image}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert qemu.stdout is not None
    data = b""
    deadline = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    sel.register(qemu.stdout, selectors.EVENT_READ)
    try:
        while not re.search(rb"m0qemu: exit status -?\d+\r\n", data):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise AssertionError(f"no exit line from {image.name} after {seconds} s; got {data!r}")
            chunk = os.read(qemu.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"QEMU ended before the exit line: {data!r} {qemu.stderr.read()!r}")
            data += chunk
    finally:
        sel.close()
        qemu.terminate()
        qemu.wait(timeout=10)
    text = data.decode()
    assert "\n" not in text.replace("\r\n", ""), "every line ends in CR LF"
    lines = text.replace("\r\n", "\n").splitlines()
    m = EXIT_LINE.match(lines[-1])
    assert m, lines
    return lines[:-1], int(m.group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, m0qemu: None) -> Path:
    proj = copy_project(tmp_path_factory.mktemp("microbit") / "proj")
    result = pio("run", "-e", "microbit_bare", "-e", "m0_qemu", cwd=proj)
    assert result.returncode == 0, result.stdout + result.stderr
    return proj


@needs_arm
def test_uart_transcript_equals_the_semihosting_one(built: Path) -> None:
    build = built / ".pio" / "build"
    uart_lines, uart_status = run_uart_image(build / "microbit_bare" / "program.hex")
    semi = subprocess.run(
        ["timeout", "60", "qemu-system-arm", "-M", "microbit", "-nographic", "-monitor", "none", "-serial", "none",
         "-semihosting-config", "enable=on,target=native", "-kernel", str(build / "m0_qemu" / "program.elf")],
        capture_output=True, text=True,
    )  # fmt: skip
    # QEMU writes semihosting output to stderr when stdout is not a terminal.
    assert (semi.stdout + semi.stderr).splitlines() == uart_lines
    assert semi.returncode == uart_status == 0
    assert "m0nn: digits: 360/360 outputs equal the integer reference" in uart_lines


@needs_arm
def test_real_board_image_has_no_semihosting(built: Path) -> None:
    """A semihosting call (BKPT) without a debugger stops a real board."""
    elf = built / ".pio" / "build" / "microbit_bare" / "program.elf"
    asm = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    assert "bkpt" not in asm
    assert "m0qemu_puts" in asm and "wfi" in asm
    hexlines = (elf.parent / "program.hex").read_text().splitlines()
    assert all(re.fullmatch(r":[0-9A-F]+", line) for line in hexlines)
    assert hexlines[-1] == ":00000001FF"  # the end-of-file record


@needs_arm
def test_upload_flashes_the_hex_with_pyocd(built: Path, tmp_path: Path) -> None:
    """`pio run -e microbit_bare -t upload` calls `pyocd flash -t nrf51 -W <the .hex>`
    (a stand-in pyocd first on PATH records its arguments; no board is needed)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "pyocd.args"
    fake = bindir / "pyocd"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [sys.executable, "-m", "platformio", "run", "-e", "microbit_bare", "-t", "upload"],
        cwd=built, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    hexfile = built / ".pio" / "build" / "microbit_bare" / "program.hex"
    args = log.read_text().splitlines()
    assert args[:4] == ["flash", "-t", "nrf51", "-W"] and len(args) == 5, args
    assert (built / args[4]).resolve() == hexfile.resolve()


@needs_arm
def test_upload_to_a_probe_by_id_and_to_the_daplink_drive(built: Path, tmp_path: Path) -> None:
    """`--upload-port` picks a probe by its unique ID (`pyocd flash -u`); with
    `upload_protocol = mbed` it names the DAPLink drive the .hex is copied to."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "pyocd.args"
    fake = bindir / "pyocd"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    run = [sys.executable, "-m", "platformio", "run", "-e", "microbit_bare", "-t", "upload"]
    result = subprocess.run([*run, "--upload-port", "9900ABCD"], cwd=built, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert log.read_text().splitlines()[:6] == ["flash", "-t", "nrf51", "-W", "-u", "9900ABCD"]

    drive = tmp_path / "MICROBIT"
    drive.mkdir()
    ini = built / "platformio.ini"
    if "[env:microbit_drive]" not in ini.read_text():
        ini.write_text(
            ini.read_text() + "\n[env:microbit_drive]\nextends = env:microbit_bare\nupload_protocol = mbed\n"
        )
    mbed = [sys.executable, "-m", "platformio", "run", "-e", "microbit_drive", "-t", "upload"]
    result = subprocess.run([*mbed, "--upload-port", str(drive)], cwd=built, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    hexfile = built / ".pio" / "build" / "microbit_drive" / "program.hex"
    assert (drive / "program.hex").read_bytes() == hexfile.read_bytes()
    missing = subprocess.run(
        [*mbed, "--upload-port", str(tmp_path / "nowhere")], cwd=built, capture_output=True, text=True
    )
    assert missing.returncode != 0
    assert "upload_protocol = mbed needs upload_port = the board's DAPLink drive" in missing.stdout + missing.stderr


@needs_arm
def test_pio_test_runs_the_uart_images_on_qemu(built: Path) -> None:
    """`pio test -e microbit_bare`: each suite's real-board image runs on QEMU's
    micro:bit through the platform's runner (uartrun.py), which stops QEMU at the
    exit line and passes on its status."""
    result = pio("test", "-e", "microbit_bare", "-f", "test_io", "-f", "test_kernels", cwd=built)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"(\d+) test cases: \1 succeeded", out), out
    assert "s32_int32_full_range\t[PASSED]" in out


@needs_arm
def test_uart_runner_reports_failures_and_hangs(tmp_path: Path, m0qemu: None) -> None:
    """Through uartrun.py a failed case ends with status 1 and a hung image with 124."""
    (tmp_path / "platformio.ini").write_text(
        "[env:b]\nplatform = m0qemu\nboard = microbit_bare\ntest_framework = custom\ncustom_m0qemu_timeout = 5\n"
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "test").mkdir()
    for name in ("m0nn_unit.c", "m0nn_unit.h", "test_custom_runner.py"):
        shutil.copy(ROOT / "test" / name, tmp_path / "test" / name)
    bodies = {
        "test_fails": "static void test_wrong(void) { M0NN_ASSERT_EQ_INT(1, 2); }\n"
        "int main(void) { M0NN_RUN_TEST(test_wrong); return m0nn_unit_end(); }\n",
        "test_hangs": 'static void test_forever(void) { for (;;) { __asm__ volatile(""); } }\n'
        "int main(void) { M0NN_RUN_TEST(test_forever); return m0nn_unit_end(); }\n",
    }
    for suite, body in bodies.items():
        (tmp_path / "test" / suite).mkdir()
        (tmp_path / "test" / suite / f"{suite}.c").write_text('#include "m0nn_unit.h"\n' + body)
    result = pio("test", "-e", "b", cwd=tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "test_wrong: 2 expected 1 was 2\t[FAILED]" in out
    assert "Test program exited with status 1: one or more test cases failed" in out
    assert "Test program exited with status 124: timed out" in out
