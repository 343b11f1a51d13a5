"""`m0nn bench`: cycle-exact Cortex-M0/M0+ benchmark of lib/m0nn against a baseline.

For each case, three builds with the same compiler and flags (-O2): the baseline
(m0nn_fc_s8: the TFLite Micro-style reference loop with the 64-bit Q31
requantization), m0nn's blocked kernel (m0nn_fc_s8_b8: ARMv6-M assembly with two
products per multiply and, where the accumulator bound allows, the single 32-bit
multiply) and its wide layout (m0nn_fc_s8_b8w: weights in 16-bit lanes, twice the
flash, no unpacking; m0nn_fc_s8_b8p, two inputs per multiply, where m0nn.plan.pairs_legal
allows); where every layer has the single 32-bit multiply, also
the least-code configuration (kernel=small: m0nn_fc_s8_small and
m0nn_model_run_small); for a few cases, Q31 forced on the blocked kernel
(m0nn q31: the split path, no 64-bit multiply, where the bound allows).
Each runs once on QEMU's micro:bit under an instruction trace; cycles follow
from the ARMv6-M timing tables (m0nn.cycles), for a Cortex-M0 and an M0+, with
a 1-cycle and a 32-cycle multiplier, zero wait states. The output equals the
integer reference or the benchmark fails. Then per board (m0nn.boards): the
same execution's taken branches and data reads from flash (m0nn.memtrace)
priced with the board's wait states and clock.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from m0nn import cycles, memtrace
from m0nn.boards import BOARDS, board_cycles, microseconds
from m0nn.codegen import render_model_header
from m0nn.errors import M0nnError
from m0nn.model import FCLayer, QModel
from m0nn.plan import configure
from m0nn.plugin import resources
from m0nn.reference import run_int
from m0nn.settings import Settings

SEED = 7
BASELINE = Settings(kernel="ref", requant="q31")
FAST = Settings(kernel="b8", requant="auto", int4="off")
WIDE = Settings(kernel="b8w", requant="auto", int4="off")
PACKED4 = Settings(kernel="b8", requant="auto", int4="force")
SMALL = Settings(kernel="small", requant="auto")
# TFLite's Q31 requantization forced on the blocked kernel: the split path (16-bit
# products) where the bound allows it, beside the baseline's 64-bit helper.
Q31 = Settings(kernel="b8", requant="q31", int4="off")
VARIANTS = {"baseline": BASELINE, "m0nn": FAST, "m0nn wide": WIDE}
# The smallest configuration, where every layer has MUL32 (not FC 640->128: its bound needs Q31).
VARIANTS_SMALL = {**VARIANTS, "m0nn small": SMALL}
VARIANTS_4BIT = {**VARIANTS, "m0nn 4-bit": PACKED4}
# MLPerf Tiny's anomaly-detection autoencoder (ToyADMOS): 640-128-128-128-128-8-128-128-128-128-640.
AUTOENCODER = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
# The cases also measured with Q31 forced (the "m0nn q31" rows).
# (FC 640->128's `m0nn` rows are Q31 already: its bound leaves MUL32 too few bits.)
Q31_CASES = ("FC 16->64", "FC 64->64", "MLP 16-64-64-4")
CORES = [("M0", 1), ("M0", 32), ("M0+", 1), ("M0+", 32)]
# Where the inlined requantization helpers live (counted by their debug line info).
REQUANT_HEADERS = ("m0nn_internal.h", "m0nn_requant_split.h")


def synthetic_layer(
    rng: np.random.Generator, n_in: int, n_out: int, relu: bool, name: str, weight_bits: int = 8
) -> FCLayer:
    """Weights like a trained layer's (about N(0, 40), clipped to int8; with
    weight_bits=4 about N(0, 3) clipped to [-8, 7]), a bias, and multipliers
    that map a typical accumulator onto tens of LSBs."""
    sd, lo, hi = (40, -127, 127) if weight_bits == 8 else (3, -8, 7)
    w = np.clip(np.rint(rng.normal(0, sd, (n_out, n_in))), lo, hi).astype(np.int8)
    b = np.rint(rng.normal(0, 2000 * sd / 40, n_out)).astype(np.int32)
    typical = sd * 60 * np.sqrt(n_in)
    real = rng.uniform(20, 40, n_out) / typical
    zp = -128 if relu else 0
    return FCLayer(
        name=name, weights=w, bias=b, requant=None,  # type: ignore[arg-type]
        act_min=zp if relu else -128, act_max=127, input_scale=1.0, input_zero_point=0,
        output_scale=1.0, output_zero_point=zp, weight_scale=np.ones(n_out), bias_float=b.astype(np.float64),
        activation="relu" if relu else "none", real_multiplier=real,
    )  # fmt: skip


def synthetic_model(name: str, sizes: list[int], seed: int, weight_bits: int = 8) -> QModel:
    rng = np.random.default_rng(seed)
    layers = [
        synthetic_layer(rng, a, b, relu=i < len(sizes) - 2, name=f"fc{i}", weight_bits=weight_bits)
        for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False))
    ]
    return QModel(name="bench", layers=layers, source=f"synthetic {name}", sha256="-" * 64, producer="m0nn bench")


def cases(project: Path) -> list[tuple[str, QModel, dict[str, Settings]]]:
    """(label, model, variants): the 8-bit cases run the three int8 builds; the
    4-bit ones (synthetic weights in [-8, 7], as weight_bits=4 QAT trains them)
    also the packed 4-bit kernel. The autoencoder runs only that: its int8
    weights (264 KB) do not fit the micro:bit's 256 KB of flash."""
    from m0nn.onnx_import import import_model

    out = [
        ("FC 16->64", synthetic_model("fc16x64", [16, 64], SEED)),
        ("FC 64->64", synthetic_model("fc64x64", [64, 64], SEED + 1)),
        ("FC 64->4", synthetic_model("fc64x4", [64, 4], SEED + 2)),
        ("FC 640->128", synthetic_model("fc640x128", [640, 128], SEED + 3)),
        ("MLP 16-64-64-4", synthetic_model("mlp", [16, 64, 64, 4], SEED + 4)),
    ]
    digits = import_model(project / "models" / "digits.onnx", name="bench")
    out.append(("digits 64-32-32-10", digits))
    four = [
        ("FC 16->64 4-bit", synthetic_model("fc16x64 4-bit", [16, 64], SEED + 10, weight_bits=4)),
        ("FC 64->64 4-bit", synthetic_model("fc64x64 4-bit", [64, 64], SEED + 11, weight_bits=4)),
        ("FC 640->128 4-bit", synthetic_model("fc640x128 4-bit", [640, 128], SEED + 12, weight_bits=4)),
        ("MLP 16-64-64-4 4-bit", synthetic_model("mlp 4-bit", [16, 64, 64, 4], SEED + 13, weight_bits=4)),
    ]
    autoencoder = synthetic_model("MLPerf Tiny AD autoencoder, 4-bit", AUTOENCODER, SEED + 14, weight_bits=4)
    return (
        [
            (label, model, {**(VARIANTS if label == "FC 640->128" else VARIANTS_SMALL), **_q31(label)})
            for label, model in out
        ]
        + [(label, model, VARIANTS_4BIT) for label, model in four]
        + [("AD autoencoder 4-bit", autoencoder, {"m0nn 4-bit": PACKED4})]
    )


def _q31(label: str) -> dict[str, Settings]:
    return {"m0nn q31": Q31} if label in Q31_CASES else {}


@dataclass
class Result:
    case: str
    variant: str
    macs: int
    outputs: int
    cycles: dict[str, int]
    requant_cycles_per_output: float
    text: int
    rodata: int
    bss: int
    m0nn_code: int
    cycles_by_class: dict[str, int]
    taken_branches: int
    flash_reads: dict[str, int]
    boards: dict[str, int]

    @property
    def per_mac(self) -> float:
        return self.cycles["M0/1"] / self.macs


def _requant_pcs(elf: Path) -> set[int]:
    """Addresses of requantization code: the inlined helpers of REQUANT_HEADERS
    (by debug line info, loads excluded), the 64-bit multiply helper they call, and the
    assembly requantization loop between its two local symbols."""
    src = resources.c_library() / "src"
    ranges: dict[str, list[tuple[int, int]]] = {}
    for header in REQUANT_HEADERS:
        text = (src / header).read_text().splitlines()
        for i, line in enumerate(text, start=1):
            if line.startswith("static inline int32_t m0nn_requantize_"):
                end = next(j for j in range(i, len(text) + 1) if text[j - 1] == "}")
                ranges.setdefault(header, []).append((i, end))
    out = subprocess.run(["arm-none-eabi-objdump", "-d", "-l", str(elf)], capture_output=True, text=True, check=True)
    pcs: set[int] = set()
    _, symbols = cycles.disassemble(elf)
    for name, start in symbols.items():
        if name.endswith("_requant") and f"{name}_end" in symbols:
            pcs.update(range(start, symbols[f"{name}_end"], 2))
    in_requant = False
    func = ""
    for line in out.stdout.splitlines():
        if line.endswith(">:") and " <" in line:
            func = line.split("<")[1].rstrip(">:")
            continue
        source = next((h for h in REQUANT_HEADERS if ":" in line and line.split(":")[0].endswith(h)), None)
        if source is not None:
            ln = int(line.split(":")[1].split()[0])
            in_requant = any(a <= ln <= b for a, b in ranges.get(source, []))
            continue
        if line.startswith("/") and ":" in line:
            in_requant = False
            continue
        parts = line.strip().split(":", 1)
        is_instruction = len(parts) == 2 and parts[0] != "" and all(c in "0123456789abcdef" for c in parts[0])
        # The operands' loads the compiler places at a helper's lines are not arithmetic.
        is_load = is_instruction and parts[1].split()[1:2] and parts[1].split()[1].startswith("ldr")
        if is_instruction and ((in_requant and not is_load) or func in ("__aeabi_lmul", "__muldi3")):
            pcs.add(int(parts[0], 16))
    return pcs


def measure(label: str, variant: str, model: QModel, settings: Settings, work: Path) -> Result:
    """Configure `model` with `settings`, then measure it."""
    configure(model, settings)
    return measure_configured(label, variant, model, settings.line(), work)


def measure_configured(
    label: str, variant: str, model: QModel, settings_line: str, work: Path, boards: bool = True
) -> Result:
    """Build, run and count one inference of an already configured model; `boards=False` leaves
    out the per-board memory timing (its flash reads need unicorn: `m0nn report` counts cycles only)."""
    rng = np.random.default_rng(SEED)
    x = rng.integers(-128, 128, (1, model.input_size)).astype(np.int8)
    expected = run_int(model, x)[-1][0]
    (work / "bench.h").write_text(render_model_header(model, settings_line))
    # The input lives in RAM (.data), as a sensor's samples would: the board
    # profiles charge wait states for reads from flash only.
    (work / "bench_main.c").write_text(
        cycles.bench_main(
            "bench",
            '#include "bench.h"\n\n'
            f"static int8_t input[BENCH_INPUT_SIZE] = {{{', '.join(map(str, x[0]))}}};\n"
            f"static const int8_t expected[BENCH_OUTPUT_SIZE] = {{{', '.join(map(str, expected))}}};",
            "input",
            "expected",
        )
    )
    lib = resources.c_library()
    elf = cycles.compile_image(
        cycles.library_sources(lib) + [work / "bench_main.c"],
        [lib / "include", lib / "src", work],
        work / "bench.elf",
        extra_flags=["-g"],
    )
    pcs = cycles.trace_pcs(elf, work)
    counts = {f"{core}/{mul}": cycles.count_region(elf, pcs, core, mul).cycles for core, mul in CORES}
    base = cycles.count_region(elf, pcs, "M0", 1)
    requant = cycles.count_region(elf, pcs, "M0", 1, only=_requant_pcs(elf))
    flash = flash_reads(elf, pcs) if boards else {}
    per_board = {
        b.key: board_cycles(b, counts[f"{b.core}/1"], base.nonsequential, flash["literal"] + flash["data"])
        for b in (BOARDS if boards else [])
    }
    sizes = cycles.section_sizes_detail(elf)
    macs = sum(layer.in_size * layer.out_size for layer in model.layers)
    outputs = sum(layer.out_size for layer in model.layers)
    return Result(
        case=label, variant=variant, macs=macs, outputs=outputs, cycles=counts,
        requant_cycles_per_output=round(requant.cycles / outputs, 2), text=sizes["text"], rodata=sizes["rodata"],
        bss=sizes["bss"], m0nn_code=cycles.m0nn_code_size(elf), cycles_by_class=dict(base.by_class),
        taken_branches=base.nonsequential, flash_reads=flash, boards=per_board,
    )  # fmt: skip


def flash_reads(elf: Path, pcs: list[int]) -> dict[str, int]:
    """Flash reads in the measured region: instruction fetches ("fetch": the
    32-bit words the executed instructions occupy, one read each time execution
    enters a word other than the last one read), and data reads from a second
    run on unicorn whose PC sequence must equal QEMU's `pcs`, literal-pool loads
    ("literal") apart from the rest ("data": weights, tables)."""
    instrs, symbols = cycles.disassemble(elf)
    start, stop = symbols["m0nn_bench_start"], symbols["m0nn_bench_stop"]
    first = pcs.index(start)
    region = pcs[first : pcs.index(stop, first) + 1]
    mem = memtrace.trace_flash_reads(elf, start, stop)
    if mem.pcs != region:
        k = next(
            (i for i, (a, b) in enumerate(zip(region, mem.pcs, strict=False)) if a != b), min(len(region), len(mem.pcs))
        )
        raise M0nnError(f"unicorn and QEMU executed {elf.name} differently from instruction {k} of the region on")
    literal = sum(1 for pc, _, _ in mem.flash_reads if "[pc" in instrs[pc].operands)
    fetch, last = 0, -1
    for pc in region[:-1]:  # up to the call of the stop marker, as m0nn.cycles counts
        if cycles._in_function(pc, start, instrs):
            continue
        for word in range(pc & ~3, pc + instrs[pc].size, 4):
            fetch += word != last
            last = word
    return {"fetch": fetch, "literal": literal, "data": len(mem.flash_reads) - literal}


def _measure_one(label: str, variant: str, model: QModel, settings: Settings) -> tuple[Result, float]:
    """One row of the table in its own temporary folder (a worker process's task)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="m0nn_bench_") as tmp:
        r = measure(label, variant, model, settings, Path(tmp))
    return r, time.monotonic() - start


def run_all(project: Path, jobs: int | None = None) -> list[Result]:
    """Every case and variant, in the table's order. Each row is built, traced and counted on its
    own (a copy of the model configured for that row), so the rows run in `jobs` processes (default:
    one per CPU) and the results do not depend on how many."""
    tasks = [
        (i, label, variant, model, settings)
        for i, (label, model, variants) in enumerate(cases(project), start=1)
        for variant, settings in variants.items()
    ]
    n_cases = tasks[-1][0] if tasks else 0
    results: list[Result | None] = [None] * len(tasks)

    def done(k: int, r: Result, seconds: float) -> None:
        results[k] = r
        print(
            f"[{tasks[k][0]}/{n_cases}] {r.case:<20} {r.variant:<10} {r.cycles['M0/1']:>9} cycles "
            f"{r.per_mac:6.2f}/MAC ({seconds:.1f}s)",
            file=sys.stderr,
            flush=True,
        )

    jobs = max(1, min(len(tasks), jobs or os.cpu_count() or 1))
    if jobs == 1:
        for k, (_, label, variant, model, settings) in enumerate(tasks):
            done(k, *_measure_one(label, variant, copy.deepcopy(model), settings))
    else:
        # spawn: the workers start clean (no copy of the parent's threads, e.g. torch's under pytest)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {
                pool.submit(_measure_one, label, variant, model, settings): k
                for k, (_, label, variant, model, settings) in enumerate(tasks)
            }
            for future in as_completed(futures):
                done(futures[future], *future.result())
    return [r for r in results if r is not None]


def render_markdown(results: list[Result]) -> str:
    lines = [
        "# m0nn benchmark results",
        "",
        "Written by `m0nn bench` (do not edit). Cycles from an exact QEMU instruction trace and the",
        "ARMv6-M timing tables (m0nn/cycles.py): zero-wait-state memory; `M0/1` is a Cortex-M0 with the",
        "1-cycle multiplier, `/32` the 32-cycle one. One inference, all-in (call, checks, loops,",
        "requantization, clamping, stores); `requant cycles/output` counts the requantization arithmetic",
        "only (multiply, shifts, rounding, and for Q31 the 64-bit multiply helper; loads excluded).",
        "Baseline: `m0nn_fc_s8` (TFLite Micro-style reference loop, 64-bit Q31 requantization) built",
        "with the same `-O2` flags. `m0nn`: the default blocked kernel (`kernel=b8`, one byte per weight);",
        "`m0nn wide`: `kernel=b8w` (weights in 16-bit lanes: twice the weight bytes in `.rodata`; a layer",
        "with MUL32 and at most 64 inputs runs the pairs layout, `m0nn_fc_s8_b8p`, as many bytes).",
        "`m0nn q31`: `kernel=b8` with `requant=q31` forced: TFLite's requantization on every layer, from",
        "16-bit products where the accumulator bound allows (`m0nn_fc_s8_b8_q31_split`, docs/numerics.md),",
        "beside the baseline's `__aeabi_lmul`; Q31 layers of the other variants take the same path.",
        "`m0nn 4-bit`: `int4=force`, every layer on `m0nn_fc_s8_b4` (packed 4-bit weights, half of `m0nn`'s",
        "bytes); the `4-bit` cases have synthetic weights in [-8, 7] (as `weight_bits=4` QAT trains them),",
        "so their int8 variants run the same values from 8-bit layouts. `AD autoencoder 4-bit`: MLPerf Tiny's",
        "anomaly-detection autoencoder (FC 640-128-128-128-128-8-128-128-128-128-640, ReLU between) with",
        "random 4-bit weights (timing only, not a trained model), built and run on the emulated micro:bit",
        "(256 KB flash, 16 KB RAM); its int8 weights would not fit that flash, so it has no int8 variants.",
        "`m0nn small`: `kernel=small`, the least code (`m0nn_fc_s8_small`: the reference loop with the",
        "32-bit multiply only, no 64-bit helper; `m0nn_model_run_small`: no input conversion, no observer),",
        "for the cases whose every layer has that multiply (not FC 640->128: its bound needs Q31).",
        "Sizes: the whole benchmark image",
        "(`m0nn code` = lib/m0nn functions plus the libgcc helpers they pull in).",
        "",
        "| case | variant | MACs | M0/1 cycles | cycles/MAC | speed-up | requant cycles/output | M0/32 | M0+/1 "
        "| M0+/32 | m0nn code | .text | .rodata | .bss |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {r.case: r for r in results if r.variant == "baseline"}
    for r in results:
        speed = f"{base[r.case].cycles['M0/1'] / r.cycles['M0/1']:.2f}x" if r.case in base else "-"
        lines.append(
            f"| {r.case} | {r.variant} | {r.macs} | {r.cycles['M0/1']} | {r.per_mac:.2f} | {speed} | "
            f"{r.requant_cycles_per_output:.1f} | {r.cycles['M0/32']} | {r.cycles['M0+/1']} | {r.cycles['M0+/32']} | "
            f"{r.m0nn_code} | {r.text} | {r.rodata} | {r.bss} |"
        )
    lines += [
        "",
        "## Real boards",
        "",
        "Cycles and microseconds per inference with each board's memory timing (m0nn/boards.py states the",
        "model and its assumptions). nRF51822: the M0/1 count at 16 MHz, flash without wait states.",
        "STM32F030 at 48 MHz: flash with one wait state and the prefetch buffer on; sequential fetches are",
        "hidden, each taken branch and each data read from flash (literal pool, weights, tables) pays one",
        "cycle. RP2040: code and constants in SRAM (no wait states, XIP cache not modelled), the M0+/1 count",
        "at 125 MHz. Taken branches and flash reads are counted on the measured execution (QEMU's PCs; data",
        "addresses from a unicorn run whose PCs equal QEMU's); `fetch` counts the 32-bit instruction words",
        "read (a new word after the previous one or after a branch): on the STM32F030 only those after a taken",
        "branch pay the wait state, the prefetch buffer hides the sequential ones.",
        "",
        "| case | variant | taken branches | flash reads (fetch / literal / data) | "
        + " | ".join(f"{b.title} cycles | µs" for b in BOARDS)
        + " |",
        "|---|---|---|---|" + "---|---|" * len(BOARDS),
    ]
    for r in results:
        cells = " | ".join(f"{r.boards[b.key]} | {microseconds(b, r.boards[b.key]):.1f}" for b in BOARDS)
        lines.append(
            f"| {r.case} | {r.variant} | {r.taken_branches} | {r.flash_reads['fetch']} / {r.flash_reads['literal']} / "
            f"{r.flash_reads['data']} "
            f"| {cells} |"
        )
    lines += ["", "Cycles by instruction class (M0, 1-cycle multiplier):", ""]
    classes = sorted({k for r in results for k in r.cycles_by_class})
    lines.append("| case | variant | " + " | ".join(classes) + " |")
    lines.append("|---|---|" + "---|" * len(classes))
    for r in results:
        lines.append(
            f"| {r.case} | {r.variant} | " + " | ".join(str(r.cycles_by_class.get(c, 0)) for c in classes) + " |"
        )
    return "\n".join(lines) + "\n"


def run(project: Path, out_dir: Path) -> int:
    results = run_all(project)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmarks.md").write_text(render_markdown(results))
    (out_dir / "benchmarks.json").write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    print(render_markdown(results))
    print(f"wrote {out_dir / 'benchmarks.md'} and {out_dir / 'benchmarks.json'}", file=sys.stderr)
    return 0
