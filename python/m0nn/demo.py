"""`m0nn demo`, the main job: the example model through the whole chain.

Reuses (or retrains) models/digits.onnx, builds the Cortex-M0 firmware (the
pre-build step regenerates the headers if needed), runs it on the emulated
micro:bit, and prints fp32 vs int8 accuracy, flash, RAM (static plus the model's
stack bound) and cycles."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from m0nn.errors import M0nnError

ENV = "m0_qemu"


def ram_text(static: int, total: int, stack: int) -> str:
    """The demo's RAM figure: static RAM (.data + .bss, PlatformIO's count) plus the stack
    digits_run needs at most (the header's DIGITS_STACK_SIZE); the frames of main and the
    firmware's loop around it are not counted.

    >>> ram_text(96, 16384, 372)
    '468 of 16384 bytes (static 96 + stack of digits_run, at most 372)'
    """
    return f"{static + stack} of {total} bytes (static {static} + stack of digits_run, at most {stack})"


def stack_bound(project: Path) -> int:
    """DIGITS_STACK_SIZE of the generated header the firmware was built with."""
    from m0nn.budget import header_needs

    header = project / "lib" / "m0nn" / "generated" / "digits.h"
    needs = header_needs(header.read_text())
    if needs is None:
        raise M0nnError(f"{header}: states no DIGITS_STACK_SIZE")
    return needs.ram["stack"]


def _pio(project: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "platformio", *args]
    print(f"$ pio {' '.join(args)}", flush=True)
    result = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise M0nnError(f"`pio {' '.join(args)}` failed (exit {result.returncode})")
    # SCons passes the emulator's semihosting output through on stderr.
    return result.stdout + result.stderr


def missing(project: Path, retrain: bool) -> list[str]:
    """What of the m0nn repository the demo needs and `project` lacks: the example firmware
    (src/app.c prints what the demo reads), the C library it counts cycles of, and the trained
    example's record (fp32 accuracy) unless it trains one."""
    need = ["src/app.c", "lib/m0nn/src"]
    if not retrain and (project / "models" / "digits.onnx").is_file():
        need.append("models/digits.json")
    return [path for path in need if not (project / path).exists()]


def run(project: Path, retrain: bool = False) -> int:
    lacking = missing(project, retrain)
    if lacking:
        raise M0nnError(
            f"runs the m0nn repository's example firmware and needs {', '.join(lacking)} under {project.resolve()}; "
            "in your own project, `pio run -e m0_qemu -t upload` runs your firmware and `pio test -e m0_qemu` "
            "your models on the emulated M0"
        )
    models = project / "models"
    if retrain or not (models / "digits.onnx").is_file():
        from m0nn import digits

        print("[1/4] training the digits example (QAT)", flush=True)
        digits.train(models)
    else:
        print("[1/4] reusing models/digits.onnx (m0nn demo --retrain trains it again)", flush=True)
    meta = json.loads((models / "digits.json").read_text())

    print("[2/4] building the Cortex-M0 firmware (the pre-build step regenerates headers if needed)", flush=True)
    build = _pio(project, "run", "-e", ENV)
    for line in build.splitlines():
        if line.startswith("m0nn:"):
            print(f"  {line}")
    ram = re.search(r"RAM:.*\(used (\d+) bytes from (\d+) bytes\)", build)
    flash = re.search(r"Flash:.*\(used (\d+) bytes from (\d+) bytes\)", build)

    print("[3/4] running it on QEMU's BBC micro:bit (nRF51822, Cortex-M0)", flush=True)
    run_log = _pio(project, "run", "-e", ENV, "-t", "upload")
    lines = [line for line in run_log.splitlines() if line.startswith("m0nn: digits")]
    for line in lines:
        print(f"  {line}")
    acc = re.search(r"int8 accuracy (\d+)/(\d+)", run_log)
    exact = re.search(r"(\d+)/(\d+) outputs equal the integer reference", run_log)
    if not acc or not exact:
        raise M0nnError("the firmware did not report its results")

    print("[4/4] counting Cortex-M0 cycles of one inference (instruction trace + ARMv6-M timings)", flush=True)
    from m0nn import cycles

    counted = cycles.count_inference_cycles(project)

    elf = project / ".pio" / "build" / ENV / "program.elf"
    sizes = cycles.section_sizes(elf)
    print()
    print("m0nn demo: digits 64-32-32-10 MLP on a Cortex-M0")
    print(f"  fp32 accuracy (PyTorch)        {100 * meta['fp32_accuracy']:.2f}%  ({meta['test_samples']} held-out)")
    print(f"  int8 accuracy (emulated M0)    {100 * int(acc.group(1)) / int(acc.group(2)):.2f}%")
    print(f"  C equals the integer reference {exact.group(1)}/{exact.group(2)} outputs")
    if flash and ram:
        print(
            f"  flash                          {flash.group(1)} of {flash.group(2)} bytes (firmware incl. test vectors)"
        )
        print(
            f"  RAM                            {ram_text(int(ram.group(1)), int(ram.group(2)), stack_bound(project))}"
        )
    print(f"  model .rodata (weights etc.)   {cycles.model_rodata(elf, 'digits')} bytes")
    print(f"  sections                       text {sizes['text']}  data {sizes['data']}  bss {sizes['bss']}")
    print(f"  cycles per inference           {counted.cycles} (Cortex-M0, 1-cycle multiplier, zero wait states)")
    ms16, ms48 = counted.cycles / 16e3, counted.cycles / 48e3
    print(f"                                 = {ms16:.2f} ms at 16 MHz, {ms48:.2f} ms at 48 MHz (zero wait states)")
    return 0 if exact.group(1) == exact.group(2) else 1
