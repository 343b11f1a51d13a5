"""Cortex-M0/M0+ cycle counts from an exact instruction trace.

QEMU counts instructions, not cycles; but the M0 is in-order with fixed
timings, so a per-instruction table applied to the exact executed sequence
gives exact cycles for zero-wait-state memory. QEMU's micro:bit runs the image
one instruction per block (`-singlestep -d exec,nochain`); each traced PC is
mapped to its instruction with objdump; a branch counts as taken when the next
PC is not the next instruction. Only the region between two noinline marker
functions, m0nn_bench_start() and m0nn_bench_stop(), is counted (their own
instructions excluded, the call to the stop marker included).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from m0nn.errors import M0nnError

PLATFORM = Path(__file__).resolve().parent / "pio" / "platforms" / "m0qemu"
CFLAGS = ["-mcpu=cortex-m0", "-mthumb", "-O2", "-std=c99", "-ffunction-sections", "-fdata-sections",
          "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-DM0QEMU"]  # fmt: skip
# The linker script as gcc's own -T and its own argument: -Wl,-T,<path> would split an install path at its commas.
LDFLAGS = ["-mcpu=cortex-m0", "-mthumb", "-nostartfiles", "-nostdlib", "-Wl,--gc-sections",
           "-T", str(PLATFORM / "ldscripts" / "microbit.ld")]  # fmt: skip

# Timing tables (ARM Cortex-M0 / M0+ Technical Reference Manuals, zero wait states).
CORES = {
    "M0": {"b_taken": 3, "bl": 4, "bx": 3, "pop_pc": 4},
    "M0+": {"b_taken": 2, "bl": 3, "bx": 2, "pop_pc": 3},
}


@dataclass
class Instr:
    addr: int
    size: int
    mnemonic: str
    operands: str


@dataclass
class Count:
    cycles: int
    instructions: int
    by_class: Counter[str] = field(default_factory=Counter)
    nonsequential: int = 0  # instructions after which the next fetch is not the next address (taken branches)


def _reglist_len(operands: str) -> int:
    m = re.search(r"\{([^}]*)\}", operands)
    if not m:
        return 1
    n = 0
    for part in m.group(1).split(","):
        part = part.strip()
        if "-" in part:
            a, b = (int(x.strip().lstrip("r")) for x in part.split("-"))
            n += b - a + 1
        elif part:
            n += 1
    return n


def instruction_class(ins: Instr) -> str:
    mn = ins.mnemonic.split(".")[0]
    if mn in ("bl",):
        return "bl"
    if mn in ("bx", "blx"):
        return "bx"
    if mn == "b" or (mn.startswith("b") and len(mn) == 3 and mn not in ("bic", "bkp")):
        return "branch"
    if mn in ("mov", "add") and ins.operands.split(",")[0].strip() == "pc":
        return "pc_write"  # MOV PC / ADD PC: a branch, always taken
    if mn in ("pop",):
        return "pop_pc" if "pc" in ins.operands else "ldm"
    if mn in ("push", "stmia", "stm", "ldmia", "ldm"):
        return "ldm"
    if mn.startswith(("ldr", "str")):
        return "mem"
    if mn == "muls" or mn == "mul":
        return "mul"
    return "alu"


def cycles_of(ins: Instr, taken: bool, core: str = "M0", mul_cycles: int = 1) -> tuple[int, str]:
    t = CORES[core]
    cls = instruction_class(ins)
    if cls == "bl":
        return t["bl"], cls
    if cls == "bx":
        return t["bx"], cls
    if cls == "branch":
        return (t["b_taken"] if taken else 1), cls
    if cls == "pc_write":
        return t["b_taken"], cls
    if cls == "pop_pc":
        return t["pop_pc"] + _reglist_len(ins.operands) - 1, cls
    if cls == "ldm":
        return 1 + _reglist_len(ins.operands), cls
    if cls == "mem":
        return 2, cls
    if cls == "mul":
        return mul_cycles, cls
    return 1, cls


def disassemble(elf: Path) -> tuple[dict[int, Instr], dict[str, int]]:
    out = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    instrs: dict[int, Instr] = {}
    symbols: dict[str, int] = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]{8}) <([^>]+)>:", line)
        if m:
            symbols[m.group(2)] = int(m.group(1), 16)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+((?:[0-9a-f]{4}\s?)+)\s+(\S+)\s*(.*)$", line)
        if m:
            words = m.group(2).split()
            size = 2 * len(words)
            instrs[int(m.group(1), 16)] = Instr(int(m.group(1), 16), size, m.group(3), m.group(4))
    return instrs, symbols


def trace_pcs(elf: Path, workdir: Path, timeout: int = 300) -> list[int]:
    log = workdir / "trace.log"
    cmd = ["qemu-system-arm", "-M", "microbit", "-nographic", "-monitor", "none", "-serial", "none",
           "-semihosting-config", "enable=on,target=native", "-icount", "shift=0,sleep=off", "-singlestep",
           "-d", "exec,nochain", "-D", str(log), "-kernel", str(elf)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise M0nnError(f"the benchmark image failed on QEMU (exit {result.returncode}): {result.stdout.strip()}")
    pcs: list[int] = []
    pat = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
    with log.open() as f:
        for line in f:
            m = pat.match(line)
            if m:
                pc = int(m.group(1), 16)
                # With -icount, QEMU logs a block it enters with an expired instruction
                # budget and leaves unexecuted, then logs it again when it runs it: the
                # same PC twice in a row. No m0nn code branches to itself, so a repeat
                # is that artefact (m0nn.memtrace's independent run agrees).
                if not pcs or pcs[-1] != pc:
                    pcs.append(pc)
    return pcs


def count_region(
    elf: Path, pcs: list[int], core: str = "M0", mul_cycles: int = 1, only: set[int] | None = None
) -> Count:
    instrs, symbols = disassemble(elf)
    start, stop = symbols.get("m0nn_bench_start"), symbols.get("m0nn_bench_stop")
    if start is None or stop is None:
        raise M0nnError(f"{elf} has no m0nn_bench_start/m0nn_bench_stop markers")
    marker_body = {a for a, i in instrs.items() if a in (start, stop) or _in_function(a, start, instrs)}
    try:
        first = pcs.index(start)
        last = pcs.index(stop, first)
    except ValueError as exc:
        raise M0nnError("the benchmark never reached its markers") from exc
    total = Count(0, 0)
    for k in range(first, last):
        pc = pcs[k]
        if pc in marker_body or (only is not None and pc not in only):
            continue
        ins = instrs.get(pc)
        if ins is None:
            raise M0nnError(f"traced PC 0x{pc:08x} is not an instruction of {elf.name}")
        taken = pcs[k + 1] != pc + ins.size
        c, cls = cycles_of(ins, taken, core, mul_cycles)
        total.cycles += c
        total.instructions += 1
        total.by_class[cls] += c
        total.nonsequential += cls in ("bl", "bx", "pop_pc", "pc_write") or (cls == "branch" and taken)
    return total


def _in_function(addr: int, func: int, instrs: dict[int, Instr]) -> bool:
    """True for the instructions of the marker function at `func` (up to its return)."""
    a = func
    while a in instrs:
        if a == addr:
            return True
        if instrs[a].mnemonic.startswith("bx"):
            return False
        a += instrs[a].size
    return False


def compile_image(
    sources: list[Path], include_dirs: list[Path], out: Path, extra_flags: list[str] | None = None
) -> Path:
    """Compile and link a bare-metal image for the emulated micro:bit."""
    if shutil.which("arm-none-eabi-gcc") is None:
        raise M0nnError("arm-none-eabi-gcc not found: apt-get install gcc-arm-none-eabi")
    objs = []
    flags = CFLAGS + (extra_flags or []) + [f"-I{d}" for d in include_dirs + [PLATFORM / "bsp"]]
    try:
        for i, src in enumerate(sources + [PLATFORM / "bsp" / "m0qemu.c"]):
            obj = out.parent / f"{i:02d}_{src.stem}.o"
            subprocess.run(["arm-none-eabi-gcc", *flags, "-c", str(src), "-o", str(obj)], check=True)
            objs.append(str(obj))
        subprocess.run(["arm-none-eabi-gcc", *LDFLAGS, *objs, "-lgcc", "-o", str(out)], check=True)
    except subprocess.CalledProcessError as exc:
        raise M0nnError(f"building {out.name} failed: {' '.join(exc.cmd[:1] + exc.cmd[-3:])}") from exc
    return out


def library_sources(lib: Path) -> list[Path]:
    """lib/m0nn's C and assembly sources."""
    return sorted([*(lib / "src").glob("*.c"), *(lib / "src").glob("*.S")])


BENCH_MAIN = """#include "m0nn.h"
{includes}

void __attribute__((noinline)) m0nn_bench_start(void) {{ __asm__ volatile(""); }}
void __attribute__((noinline)) m0nn_bench_stop(void) {{ __asm__ volatile(""); }}

int main(void)
{{
    static int8_t arena[{up}_ARENA_SIZE + 1] M0NN_ALIGN4;
    int8_t out[{up}_OUTPUT_SIZE];
    int32_t i;
    m0nn_status_t status;
    m0nn_bench_start();
    status = {name}_run({inputs}, out, arena);
    m0nn_bench_stop();
    for (i = 0; i < {up}_OUTPUT_SIZE; ++i) {{
        if (out[i] != {expected}[i]) {{
            return 1;
        }}
    }}
    return status == M0NN_OK ? 0 : 2;
}}
"""


def bench_main(name: str, includes: str, inputs: str, expected: str) -> str:
    """The C main of a benchmark image: one inference of model `name` between the
    two markers, then an exit status that says whether the output was `expected`."""
    return BENCH_MAIN.format(name=name, up=name.upper(), includes=includes, inputs=inputs, expected=expected)


def count_inference_cycles(project: Path, name: str = "digits", core: str = "M0", mul_cycles: int = 1) -> Count:
    """Cycles of one inference of the generated model `name` (its first test vector)."""
    lib = project / "lib" / "m0nn"
    with tempfile.TemporaryDirectory(prefix="m0nn_cycles_") as tmp:
        work = Path(tmp)
        main = work / "bench_main.c"
        includes = f'#include "{name}.h"\n#include "{name}_test.h"'
        main.write_text(bench_main(name, includes, f"{name}_test_inputs[0]", f"{name}_test_expected[0]"))
        sources = library_sources(lib) + [main]
        elf = compile_image(sources, [lib / "include", lib / "src", lib / "generated"], work / "bench.elf")
        return count_region(elf, trace_pcs(elf, work), core, mul_cycles)


def section_sizes_detail(elf: Path) -> dict[str, int]:
    """.text (code only), .rodata and .bss, from the symbol table (the linker
    script folds .rodata into the flash .text output section)."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    sizes = {"text": 0, "rodata": 0, "bss": 0}
    kinds = {"t": "text", "T": "text", "r": "rodata", "R": "rodata", "b": "bss", "B": "bss"}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in kinds:
            sizes[kinds[parts[2]]] += int(parts[1], 16)
    return sizes


def m0nn_code_size(elf: Path) -> int:
    """Bytes of lib/m0nn's functions in the image, plus the libgcc helpers linked."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    sizes: dict[int, int] = {}  # by address: __aeabi_lmul and __muldi3 are one function
    for line in out.splitlines():
        parts = line.split()
        if (
            len(parts) == 4
            and parts[2] in "tT"
            and parts[3].startswith(("m0nn_", "__aeabi_", "__mul"))
            and parts[3] not in ("m0nn_bench_start", "m0nn_bench_stop")
        ):
            sizes[int(parts[0], 16)] = int(parts[1], 16)
    return sum(sizes.values())


def section_sizes(elf: Path) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-size", "-B", "-d", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in out.stdout.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss}


def model_rodata(elf: Path, name: str) -> int:
    """Bytes of the model's constant tables in the image (weights, biases, M, shifts, layer table)."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and (parts[3].startswith(f"{name}_l") or parts[3] in (f"{name}_layers", f"{name}_model")):
            total += int(parts[1], 16)
    return total
