"""The cycle counter on code whose cost is known by hand, and the committed
benchmark results against a fresh run (cycle counts are deterministic)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from conftest import ROOT, needs_arm

from m0nn import bench, cycles

LOOP = """
void __attribute__((noinline)) m0nn_bench_start(void) { __asm__ volatile(""); }
void __attribute__((noinline)) m0nn_bench_stop(void) { __asm__ volatile(""); }
int main(void)
{
    m0nn_bench_start();
    __asm__ volatile(
        ".syntax unified\\n"
        "movs r0, #5\\n"
        "1: subs r0, #1\\n"
        "bne 1b\\n"
        "ldr r1, [sp]\\n"
        "muls r1, r0, r1\\n"
        "push {r1, r2}\\n"
        "pop {r1, r2}\\n"
        ::: "r0", "r1", "r2", "cc", "memory");
    m0nn_bench_stop();
    return 0;
}
"""


@needs_arm
def test_hand_counted_loop(tmp_path: Path) -> None:
    src = tmp_path / "loop.c"
    src.write_text(LOOP)
    elf = cycles.compile_image([src], [], tmp_path / "loop.elf")
    pcs = cycles.trace_pcs(elf, tmp_path)
    # movs 1 + 5 subs + 4 taken bne x 3 + 1 untaken + ldr 2 + muls 1 + push{2} 3 + pop{2} 3 + bl stop 4
    m0 = cycles.count_region(elf, pcs, "M0", 1)
    assert m0.cycles == 1 + 5 + 12 + 1 + 2 + 1 + 3 + 3 + 4, m0.by_class
    # M0+: taken branches 2, BL 3; 32-cycle multiplier
    assert cycles.count_region(elf, pcs, "M0+", 32).cycles == 1 + 5 + 8 + 1 + 2 + 32 + 3 + 3 + 3


@needs_arm
def test_a_write_to_pc_is_a_taken_branch() -> None:
    # The blocked kernel enters its unrolled loop with MOV PC (the entry depends on
    # n % 4): 3 cycles on the M0 and 2 on the M0+ even when the target is the next
    # instruction, so "taken" must not be inferred from the next PC here.
    mov_pc = cycles.Instr(0x100, 2, "mov", "pc, r4")
    assert cycles.cycles_of(mov_pc, taken=False, core="M0") == (3, "pc_write")
    assert cycles.cycles_of(mov_pc, taken=False, core="M0+") == (2, "pc_write")
    assert cycles.cycles_of(cycles.Instr(0x100, 2, "mov", "r8, r4"), taken=False) == (1, "alu")


def test_committed_benchmark_results_match_a_fresh_run() -> None:
    committed = json.loads((ROOT / "docs" / "benchmarks.json").read_text())
    fresh = bench.run_all(ROOT)
    assert [asdict(r) for r in fresh] == committed, "run: m0nn bench"
    assert (ROOT / "docs" / "benchmarks.md").read_text() == bench.render_markdown(fresh)


MEMORY = """
void __attribute__((noinline)) m0nn_bench_start(void) { __asm__ volatile(""); }
void __attribute__((noinline)) m0nn_bench_stop(void) { __asm__ volatile(""); }
static const unsigned int table[4] __attribute__((aligned(4))) = {1, 2, 3, 4};
static unsigned int ram[2];
int main(void)
{
    m0nn_bench_start();
    __asm__ volatile(
        ".syntax unified\\n"
        "ldr r0, =0x12345678\\n"       /* literal pool: 1 flash read */
        "mov r1, %0\\n"
        "ldrb r2, [r1, #5]\\n"         /* table in flash: 1 */
        "ldm r1!, {r2, r3, r4}\\n"     /* 3 words from flash: 3 */
        "mov r1, %1\\n"
        "ldr r2, [r1]\\n"              /* RAM: none */
        "b 1f\\n"
        ".ltorg\\n"
        "1:\\n"
        :: "r"(table), "r"(ram) : "r0", "r1", "r2", "r3", "r4", "cc", "memory");
    m0nn_bench_stop();
    return 0;
}
"""


@needs_arm
def test_flash_reads_and_taken_branches_of_hand_written_code(tmp_path: Path) -> None:
    src = tmp_path / "mem.c"
    src.write_text(MEMORY)
    elf = cycles.compile_image([src], [], tmp_path / "mem.elf")
    pcs = cycles.trace_pcs(elf, tmp_path)
    reads = bench.flash_reads(elf, pcs)  # also checks that unicorn's PCs equal QEMU's
    # literal pool: the constant, and the addresses of table and ram that gcc loads for the operands
    assert (reads["literal"], reads["data"]) == (3, 4)
    # 16-bit instructions: at most two per fetched word; one more word for the BL that may span two
    n = cycles.count_region(elf, pcs, "M0", 1).instructions
    assert (n + 1) // 2 <= reads["fetch"] <= n + 1
    # the taken branches: B over the literal pool, BL to the stop marker
    assert cycles.count_region(elf, pcs, "M0", 1).nonsequential == 2


ARGMAX = """#include "m0nn.h"
void __attribute__((noinline)) m0nn_bench_start(void) { __asm__ volatile(""); }
void __attribute__((noinline)) m0nn_bench_stop(void) { __asm__ volatile(""); }
int main(void)
{
    static const int8_t values[3] = {1, 5, 3};
    int32_t best;
    m0nn_bench_start();
    best = m0nn_argmax_s8(values, 3);
    m0nn_bench_stop();
    return best == 1 ? 0 : 1;
}
"""


@needs_arm
def test_install_path_with_a_comma(tmp_path: Path) -> None:
    """m0nn installed (and its C library copied) under paths holding commas and spaces: the image
    links (the linker script is one argument, not split at a comma as -Wl,-T,<path> was) and runs."""
    site = tmp_path / "site, packages"
    shutil.copytree(ROOT / "python" / "m0nn", site / "m0nn", ignore=shutil.ignore_patterns("__pycache__"))
    lib = tmp_path / "lib,copy" / "m0nn"
    shutil.copytree(ROOT / "lib" / "m0nn", lib, ignore=shutil.ignore_patterns("generated"))
    (tmp_path / "lib,copy" / "main.c").write_text(ARGMAX)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from m0nn import cycles\n"
        "assert 'site, packages' in cycles.__file__, cycles.__file__\n"
        "lib, work = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "srcs = [lib / 'src' / 'm0nn_argmax_s8.c', lib.parent / 'main.c']\n"
        "elf = cycles.compile_image(srcs, [lib / 'include', lib / 'src'], work / 'argmax.elf')\n"
        "print(cycles.count_region(elf, cycles.trace_pcs(elf, work)).cycles)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(lib), str(lib.parent)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0
