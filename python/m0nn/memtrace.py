"""Data addresses of an M0 image's loads, for the board memory-timing profiles.

QEMU's `-d exec` trace (m0nn.cycles) has the executed PCs but no data
addresses. This runs the same ELF once more on unicorn (QEMU's CPU core as a
library) with a hook on data reads from flash, and records, between the two
benchmark markers, every executed PC and every flash data read (the PC that
made it, its address and size; an LDM makes one read per word). The caller
compares the PC sequence with QEMU's: equal sequences mean the data reads
belong to the very execution the cycle counter counted.

unicorn's M-profile core does not reject Thumb-2 instructions: QEMU's
micro:bit, which does, stays the judge of what runs on a Cortex-M0.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from m0nn.errors import M0nnError

FLASH_BASE, FLASH_SIZE = 0x00000000, 256 * 1024  # the micro:bit's, as m0qemu's linker script places the image
RAM_BASE, RAM_SIZE = 0x20000000, 16 * 1024
MAX_INSTRUCTIONS = 50_000_000


@dataclass
class MemTrace:
    pcs: list[int]  # executed PCs from m0nn_bench_start's call to m0nn_bench_stop's entry
    flash_reads: list[tuple[int, int, int]]  # (pc, address, size) of data reads from flash in that region


def trace_flash_reads(elf: Path, start: int, stop: int) -> MemTrace:
    """Run `elf` from reset until m0nn_bench_stop returns; record the region
    between entering m0nn_bench_start (at `start`) and entering m0nn_bench_stop
    (at `stop`)."""
    # unicorn is optional (pip install 'm0nn[bench]'); m0nn.cli says so when it is missing
    from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_MODE_MCLASS, UC_MODE_THUMB, Uc, UcError
    from unicorn.arm_const import UC_ARM_REG_SP, UC_CPU_ARM_CORTEX_M0

    image = _flash_image(elf)
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M0)
    uc.mem_map(FLASH_BASE, FLASH_SIZE)
    uc.mem_map(RAM_BASE, RAM_SIZE)
    uc.mem_write(FLASH_BASE, image)
    sp, reset = int.from_bytes(image[0:4], "little"), int.from_bytes(image[4:8], "little")
    uc.reg_write(UC_ARM_REG_SP, sp)

    pcs: list[int] = []
    reads: list[tuple[int, int, int]] = []
    state = {"active": False, "pc": 0, "done": False}

    def on_code(u: Uc, addr: int, size: int, _: object) -> None:
        if addr == start:
            state["active"] = True
        elif addr == stop and state["active"]:
            pcs.append(addr)
            state["active"] = False
            state["done"] = True
            u.emu_stop()
            return
        if state["active"]:
            pcs.append(addr)
            state["pc"] = addr

    def on_read(u: Uc, access: int, addr: int, size: int, value: int, _: object) -> None:
        if state["active"]:
            reads.append((state["pc"], addr, size))

    uc.hook_add(UC_HOOK_CODE, on_code)
    uc.hook_add(UC_HOOK_MEM_READ, on_read, begin=FLASH_BASE, end=FLASH_BASE + FLASH_SIZE - 1)
    try:
        uc.emu_start(reset | 1, 0xFFFFFFFF, count=MAX_INSTRUCTIONS)
    except UcError as exc:
        raise M0nnError(f"{elf.name} stopped on unicorn at 0x{state['pc']:08x}: {exc}") from exc
    if not state["done"]:
        raise M0nnError(f"{elf.name} never reached m0nn_bench_stop on unicorn")
    return MemTrace(pcs, reads)


def _flash_image(elf: Path) -> bytes:
    """The bytes the linker placed in flash (code, constants, .data's load image)."""
    out = elf.with_suffix(".flash.bin")
    subprocess.run(
        ["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", "-j", ".rodata", "-j", ".data", str(elf), str(out)],
        check=True,
    )
    data = out.read_bytes()
    if len(data) > FLASH_SIZE:
        raise M0nnError(f"{elf.name} does not fit the {FLASH_SIZE // 1024} KiB flash")
    return data
