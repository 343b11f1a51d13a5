"""`m0nn measure NAME...`: a trained example (a graph model: conv net; or an FC model) on the
emulated Cortex-M0.

For models/NAME.onnx with its generated headers in lib/m0nn/generated/: runs every
test vector through lib/m0nn on QEMU's micro:bit (nRF51822, Cortex-M0) and counts
the outputs equal to the integer reference and the int8 accuracy; counts the cycles
of one inference from an instruction trace (m0nn.cycles: ARMv6-M timings, 1-cycle
multiplier, zero wait states); reports the model's flash (its constant tables and
the lib/m0nn and libgcc sections linked, from the linker's map) and RAM (arena,
input, output and the stack, as the pre-build step budgets it: the stack figure is
the header's <NAME>_STACK_SIZE, m0nn.graph.stack_size's static bound) next to the stack
the run really used: the
image paints the free RAM below main's stack pointer with a pattern before each
<name>_run and, after it, finds the deepest word no longer holding it; the
high-water mark is counted from the stack pointer at the call, over all test
vectors. fp32 accuracy is the trained model's (models/NAME.json; none for a regression model).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from m0nn import cycles
from m0nn.errors import M0nnError
from m0nn.graph.code_size import library_sections
from m0nn.names import one_line

ACCURACY_MAIN = """#include "m0nn.h"
#include "m0qemu.h"
#include "{name}.h"
#include "{name}_test.h"

extern uint32_t __bss_end; /* the linker script's: free RAM from here up to the stack */

#define PAINT 0x6d306e6eu

static inline uint32_t *stack_pointer(void)
{{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}}

static void put_int(int32_t v)
{{
    static const int32_t pow10[6] = {{100000, 10000, 1000, 100, 10, 1}};
    char buf[8];
    int32_t i, k = 0;
    for (i = 0; i < 6; ++i) {{
        char d = '0';
        while (v >= pow10[i]) {{
            v -= pow10[i];
            ++d;
        }}
        buf[k++] = d;
    }}
    buf[k] = '\\0';
    m0qemu_puts(buf);
}}

int main(void)
{{
    static int8_t arena[{up}_ARENA_SIZE + 1] M0NN_ALIGN4;
    int8_t out[{up}_OUTPUT_SIZE];
    int32_t n, i, exact = 0, correct = 0, stack = 0;
    volatile uint32_t *const sp = stack_pointer(); /* main's: <name>_run is called from here */
    for (n = 0; n < {up}_N_TESTS; ++n) {{
        volatile uint32_t *p;
        int32_t same;
        for (p = &__bss_end; p < sp; ++p) {{
            *p = PAINT;
        }}
        same = {name}_run({name}_test_inputs[n], out, arena) == M0NN_OK;
        for (p = &__bss_end; p < sp && *p == PAINT; ++p) {{
        }}
        if (4 * (sp - p) > stack) {{
            stack = 4 * (sp - p);
        }}
        for (i = 0; i < {up}_OUTPUT_SIZE; ++i) {{
            same &= out[i] == {name}_test_expected[n][i];
        }}
        exact += same;
        correct += m0nn_argmax_s8(out, {up}_OUTPUT_SIZE) == {name}_test_labels[n];
    }}
    m0qemu_puts("exact ");
    put_int(exact);
    m0qemu_puts(" correct ");
    put_int(correct);
    m0qemu_puts(" of ");
    put_int({up}_N_TESTS);
    m0qemu_puts(" stack ");
    put_int(stack);
    m0qemu_puts("\\n");
    return 0;
}}
"""


@dataclass
class Measured:
    name: str
    n_tests: int
    exact: int
    fp32_accuracy: float | None  # None: no class labels (a regression model)
    int8_accuracy: float | None
    flash_model: int
    flash_code: int
    ram: int
    arena: int
    stack_estimate: int  # m0nn.graph.stack_size's bound, counted in ram
    stack_measured: int  # high-water mark of <name>_run on QEMU, from its call
    cycles: int

    @property
    def flash(self) -> int:
        return self.flash_model + self.flash_code


def _define(header: str, macro: str) -> int:
    m = re.search(rf"^#define {macro} \(?(-?\d+)\)?$", header, re.M)
    if m is None:
        raise M0nnError(f"generated header lacks {macro}: run `m0nn gen` / `pio run`")
    return int(m.group(1))


def _model_rodata(elf: Path, name: str) -> int:
    """Bytes of the model's constant tables (weights, biases, M, shifts, params; a graph model's op and
    kind tables, an FC model's layer table)."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    own = re.compile(rf"^{re.escape(name)}_(o\d+_.*|ops|kinds|graph|l\d+_.*|layers|model)$")
    return sum(int(p[1], 16) for p in (line.split() for line in out.splitlines()) if len(p) == 4 and own.match(p[3]))


@dataclass
class ImageRun:
    exact: int
    correct: int
    n_tests: int
    stack: int  # high-water mark of <name>_run, bytes from its call
    flash_model: int
    flash_code: int


def run_image(root: Path, name: str, gen: Path | None = None) -> ImageRun:
    """Build the accuracy image of NAME (headers in `gen`, default lib/m0nn/generated) and run it
    on QEMU's micro:bit."""
    lib = root / "lib" / "m0nn"
    gen = gen or lib / "generated"
    if not (gen / f"{name}.h").is_file() or not (gen / f"{name}_test.h").is_file():
        raise M0nnError(f"{name}: no model with test vectors in {gen}")
    with tempfile.TemporaryDirectory(prefix="m0nn_measure_") as tmp:
        work = Path(tmp)
        main = work / "measure_main.c"
        main.write_text(ACCURACY_MAIN.format(name=name, up=name.upper()))
        elf = cycles.compile_image(
            cycles.library_sources(lib) + [main], [lib / "include", lib / "src", gen], work / "measure.elf"
        )
        cmd = ["qemu-system-arm", "-M", "microbit", "-nographic", "-monitor", "none", "-serial", "none",
               "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        m = re.search(r"exact (\d+) correct (\d+) of (\d+) stack (\d+)", run.stdout + run.stderr)
        if run.returncode != 0 or m is None:
            raise M0nnError(f"{name}: the accuracy image failed on QEMU (exit {run.returncode}): {run.stdout.strip()}")
        exact, correct, n, stack = (int(g) for g in m.groups())
        flash_model = _model_rodata(elf, name)
        flash_code = sum(library_sections(work, main.with_suffix(".o").name).values())
    return ImageRun(exact, correct, n, stack, flash_model, flash_code)


def measure(root: Path, name: str) -> Measured:
    header = (root / "lib" / "m0nn" / "generated" / f"{name}.h").read_text()
    meta = json.loads((root / "models" / f"{name}.json").read_text())
    up = name.upper()
    image = run_image(root, name)
    stack = _define(header, f"{up}_STACK_SIZE")
    ram = sum(_define(header, f"{up}_{k}_SIZE") for k in ("ARENA", "INPUT", "OUTPUT")) + stack
    count = cycles.count_inference_cycles(root, name)
    fp32 = meta.get("fp32_accuracy")
    return Measured(
        name, image.n_tests, image.exact, None if fp32 is None else float(fp32),
        None if fp32 is None else image.correct / image.n_tests,
        image.flash_model, image.flash_code, ram, _define(header, f"{up}_ARENA_SIZE"), stack, image.stack,
        count.cycles,
    )  # fmt: skip


def run(root: Path, names: list[str], out: Path | None) -> int:
    for name in names:  # the examples of the m0nn repository: their headers, sources and training record
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            print(f"m0nn measure: error: {name!r}: give an example's name (digits_cnn, activity, digits), "
                  "not a path", file=sys.stderr)  # fmt: skip
            return 1
        need = [f"lib/m0nn/generated/{name}.h", f"models/{name}.json"]
        missing = [path for path in need if not (root / path).is_file()]
        if missing or not (root / "lib" / "m0nn" / "src").is_dir():
            print(
                f"m0nn measure: error: {name}: measures the m0nn repository's trained examples and needs "
                f"{', '.join(missing) or 'lib/m0nn/src'} under {root}; in your own project, "
                "`pio test -e m0_qemu` runs your models on the emulated M0",
                file=sys.stderr,
            )
            return 1
    try:
        results = [measure(root, name) for name in names]
    except M0nnError as exc:
        print(f"m0nn measure: error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    for r in results:
        print(f"m0nn measure: {r.name} on the emulated Cortex-M0 (nRF51822 micro:bit, QEMU)")
        if r.fp32_accuracy is not None and r.int8_accuracy is not None:
            print(f"  fp32 accuracy (PyTorch)        {100 * r.fp32_accuracy:.2f}%  ({r.n_tests} held-out)")
            print(f"  int8 accuracy (emulated M0)    {100 * r.int8_accuracy:.2f}%")
        print(f"  C equals the integer reference {r.exact}/{r.n_tests} outputs")
        print(f"  flash                          {r.flash} bytes (model tables {r.flash_model} + lib/m0nn code "
              f"{r.flash_code})")  # fmt: skip
        print(f"  RAM                            {r.ram} bytes (arena {r.arena}, input, output, stack "
              f"{r.stack_estimate})")  # fmt: skip
        print(f"  stack high-water mark (QEMU)   {r.stack_measured} bytes from the call of {r.name}_run (bound "
              f"{r.stack_estimate})")  # fmt: skip
        print(f"  cycles per inference           {r.cycles} (Cortex-M0, 1-cycle multiplier, zero wait states)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "measure_conv.json").write_text(
            json.dumps([asdict(r) | {"flash": r.flash} for r in results], indent=1) + "\n"
        )
    for r in results:
        if r.stack_measured > r.stack_estimate:
            print(f"m0nn measure: {r.name} used {r.stack_measured} bytes of stack, more than the budgeted "
                  f"{r.stack_estimate}: regenerate m0nn.graph.stack_sizes")  # fmt: skip
    return 0 if all(r.exact == r.n_tests and r.stack_measured <= r.stack_estimate for r in results) else 1
