"""The stack a model needs, as the generator's RAM budget counts it: the runner's
frames plus the deepest call chain of the kernels the model calls (a graph model:
its operators' kernels under m0nn_graph_run; an FC model: its layers' kernels under
m0nn_model_run or m0nn_model_run_small), from a per-function table
(m0nn.graph.stack_sizes) of the same arm-none-eabi -O2 build as the code table
(m0nn.graph.code_size's probe image, which here also runs both FC runners):

- frames: C functions from gcc's -fstack-usage (all "static": no variable-length
  frames in lib/m0nn); assembly and libgcc functions from their disassembly, the
  sum of their `push` and `sub sp, #imm` (their pushes are balanced and not
  nested in loops, so the sum bounds the depth; any other write of sp is refused).
- calls: the `bl`/`b` targets outside the function in the linked image, plus the
  indirect calls named in INDIRECT (an unnamed `blx` is refused).

The model's figure is a static sum: the deepest chain from its runner down,
leaving out the kernels the model does not call. It may exceed the real high-water
mark (a chain's deepest branch may not run for this model), never fall short of it:
python/tests/test_stack_size.py runs digits_cnn, activity and the FC example digits on
QEMU with the stack painted and checks that, and prints the new table when a kernel
changed. Regenerate it with

    .venv/bin/python -m m0nn.graph.stack_size --write
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from m0nn import cycles
from m0nn.errors import M0nnError
from m0nn.graph import stack_sizes
from m0nn.graph.code_size import FC_KERNELS, FC_RUNNERS, fc_probe, probe_main, tuple_literal, writable_table
from m0nn.graph.ir import GModel, Op
from m0nn.graph.kinds import HANDLER, kind_of
from m0nn.plugin import resources

TABLE = Path(__file__).with_name("stack_sizes.py")
RUNNER = "m0nn_graph_run"
# The entry m0nn_graph_run calls for each operator kind, through the model's table
# (m0nn.graph.kinds; lib/m0nn/src/m0nn_graph_ops.c): each calls its kind's kernel.
KERNELS = tuple(HANDLER.values())
# Indirect calls (blx) and their possible targets. m0nn_graph_run_observed's are the
# model's entries (KERNELS) and the caller's observer: m0nn_graph_run (what <name>_run
# calls) passes none.
INDIRECT: dict[str, tuple[str, ...]] = {
    "m0nn_graph_run_observed": KERNELS,
    "m0nn_model_run_observed": FC_KERNELS,  # the layers' kernels (and the observer)
    "m0nn_model_run": FC_KERNELS,  # the layers' kernels, inline (no observer)
    "m0nn_model_run_small": FC_KERNELS,
    # the block loop of the kernel's descriptor (m0nn_b8_kernel_t)
    "m0nn_fc_b8_mul32": (
        "m0nn_b4_mul32_blocks",
        "m0nn_b8_mul32_blocks",
        "m0nn_b8p_mul32_blocks",
        "m0nn_b8w_mul32_blocks",
    ),
    "m0nn_fc_b8_mul32_c": (  # the portable walk (on ARMv6-M, the assembly entry's other calls)
        "m0nn_b4_mul32_blocks",
        "m0nn_b8_mul32_blocks",
        "m0nn_b8p_mul32_blocks",
        "m0nn_b8w_mul32_blocks",
    ),
    "m0nn_fc_b8_mul32_rest": (
        "m0nn_b4_mul32_blocks",
        "m0nn_b8_mul32_blocks",
        "m0nn_b8p_mul32_blocks",
        "m0nn_b8w_mul32_blocks",
    ),
    # BLX into its own unrolled pairs loop (m0nn_armv6m_pairs.inc), which pushes nothing.
    "m0nn_b8p_mul32_blocks": (),
}


# Tail jumps: the function releases its frame before it jumps there (m0nn_fc_b8_mul32's assembly
# entry, POP {PC} into the portable walk for every call it does not run itself), so the target runs
# at the function's own depth.
TAIL: dict[str, tuple[str, ...]] = {"m0nn_fc_b8_mul32": ("m0nn_fc_b8_mul32_c",)}


# The block loop each MUL32 blocked kernel's descriptor names (m0nn_b8_kernel_t): m0nn_fc_b8_mul32,
# its C walk and m0nn_fc_b8_mul32_rest reach those of the model's kernels only.
BLOCKS = {
    "m0nn_fc_s8_b8": "m0nn_b8_mul32_blocks",
    "m0nn_fc_s8_b8w": "m0nn_b8w_mul32_blocks",
    "m0nn_fc_s8_b8p": "m0nn_b8p_mul32_blocks",
    "m0nn_fc_s8_b4": "m0nn_b4_mul32_blocks",
}


def kernel_of(op: Op) -> str:
    """The entry m0nn_graph_run calls for the operator (a name in KERNELS)."""
    return HANDLER[kind_of(op)]


def deepest(fn: str, leave_out: frozenset[str] = frozenset(), _path: tuple[str, ...] = ()) -> int:
    """Bytes of stack fn and its deepest chain of callees use (callees in `leave_out` skipped)."""
    if fn in _path:
        raise M0nnError(f"recursion through {fn}: no static stack bound")
    below = [deepest(c, leave_out, (*_path, fn)) for c in stack_sizes.CALLS.get(fn, ()) if c not in leave_out]
    tails = [deepest(t, leave_out, (*_path, fn)) for t in TAIL.get(fn, ()) if t in stack_sizes.FRAMES]
    return max([stack_sizes.FRAMES[fn] + max(below, default=0), *tails])


def stack_bytes(model: GModel) -> int:
    """Stack <name>_run needs, from its call: m0nn_graph_run's frames and the deepest kernel chain the model uses."""
    used = {kernel_of(op) for op in model.ops}
    return deepest(RUNNER, frozenset(KERNELS) - used)


def fc_stack_bytes(runner: str, kernels: Iterable[str]) -> int:
    """Stack the <name>_run of an FC model needs, from its call: the frames of its runner (FC_RUNNERS)
    and the deepest chain of its layers' kernels (FC_KERNELS)."""
    used = set(kernels)
    if runner not in FC_RUNNERS or not used <= set(FC_KERNELS):
        raise M0nnError(f"no stack figure for {runner} with {sorted(used - set(FC_KERNELS))}")
    unused_blocks = {loop for kernel, loop in BLOCKS.items() if kernel not in used}
    return deepest(runner, frozenset(FC_KERNELS) - used | unused_blocks)


# A function gcc -O2 cloned: specialized for constant arguments, with its arguments rewritten, or
# split off after an inlined early return. The symbol carries a number (f.constprop.0); the .su
# line names some clones without it (f.constprop).
_CLONE = re.compile(r"(.+\.(?:constprop|isra|part))\.\d+")
_SYMBOL = r"[\w.]+"  # a C name, or a clone's (m0nn_x.part.0)


def _stack_usage(work: Path) -> dict[str, int]:
    """function -> bytes from the .su files gcc -fstack-usage wrote next to the objects (a clone
    named without its number: the largest frame of that name)."""
    out: dict[str, int] = {}
    for su in sorted(work.glob("*.su")):
        for line in su.read_text().splitlines():
            where, size, kind = line.split("\t")
            name = where.rsplit(":", 1)[1]
            if kind != "static":
                raise M0nnError(f"{where}: a {kind} stack frame has no static bound")
            if name in out and not re.search(r"\.(?:constprop|isra|part)$", name):
                raise M0nnError(f"two functions named {name}: the stack table is keyed by name")
            out[name] = max(int(size), out.get(name, 0))
    return out


def _frame(fn: str, usage: dict[str, int], body: list[tuple[str, str]]) -> int:
    """fn's frame: its .su line (a clone's, f.constprop.0, may be named f.constprop there), else
    its disassembly (assembly and libgcc functions)."""
    if fn in usage:
        return usage[fn]
    clone = _CLONE.fullmatch(fn)
    if clone and clone.group(1) in usage:
        return usage[clone.group(1)]
    return _asm_frame(fn, body)


def _disassembly(elf: Path) -> dict[str, list[tuple[str, str]]]:
    """function -> its (mnemonic, operands) in address order."""
    text = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(elf)],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    out: dict[str, list[tuple[str, str]]] = {}
    body: list[tuple[str, str]] = []
    for line in text.splitlines():
        head = re.match(rf"^[0-9a-f]+ <({_SYMBOL})>:$", line)
        if head:
            body = out.setdefault(head.group(1), [])
            continue
        ins = re.match(r"^\s+[0-9a-f]+:\s+(\S+)\s*([^;@]*)", line)
        if ins:
            body.append((ins.group(1), ins.group(2).strip()))
    return out


def _asm_frame(name: str, body: list[tuple[str, str]]) -> int:
    total = 0
    for mn, ops in body:
        if mn == "push":
            total += 4 * len(re.findall(r"r\d+|lr", ops))
        elif re.match(r"sp\s*,", ops) and mn in ("add", "sub", "mov"):
            imm = re.fullmatch(r"sp\s*,\s*(?:sp\s*,\s*)?#(\d+)", ops)
            if imm is None:
                raise M0nnError(f"{name}: `{mn} {ops}` writes sp by a register: no static frame")
            total += int(imm.group(1)) if mn == "sub" else 0
    return total


def _origin(name: str) -> str:
    """The function a gcc clone was made from (m0nn_x.constprop.0.isra.0 -> m0nn_x); others: name."""
    return re.sub(r"(?:\.(?:constprop|isra|part)\.\d+)+$", "", name)


def _calls(name: str, body: list[tuple[str, str]], known: set[str]) -> list[str]:
    indirect = INDIRECT.get(name, INDIRECT.get(_origin(name)))  # a clone calls what its origin may call
    out = set(indirect or ())
    for mn, ops in body:
        if mn == "blx" and indirect is None:
            raise M0nnError(f"{name}: an indirect call (blx {ops}) not named in m0nn.graph.stack_size.INDIRECT")
        target = re.fullmatch(rf"[0-9a-f]+ <({_SYMBOL})>", ops)
        if mn.startswith("b") and target and target.group(1) != name and target.group(1) in known:
            out.add(target.group(1))
    return sorted(out)


def measure(lib: Path | None = None) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Build the probe image with -fstack-usage; return (function -> frame bytes, function -> callees)
    for the functions m0nn_graph_run and the FC runners reach."""
    lib = lib or resources.c_library()
    with tempfile.TemporaryDirectory(prefix="m0nn_stack_size_") as tmp:
        work = Path(tmp)
        main = work / "probe_main.c"
        main.write_text(probe_main(HANDLER, *fc_probe(FC_RUNNERS, FC_KERNELS)))
        srcs = cycles.library_sources(lib) + [main]
        elf = cycles.compile_image(srcs, [lib / "include", lib / "src"], work / "p.elf", ["-fstack-usage"])
        return reach(elf, work, [RUNNER, *FC_RUNNERS])


def reach(elf: Path, work: Path, roots: list[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """(function -> frame bytes, function -> callees) for the functions `roots` reach in the image
    `elf`, its objects built in `work` with -fstack-usage."""
    usage = _stack_usage(work)
    code = _disassembly(elf)
    frames: dict[str, int] = {}
    calls: dict[str, list[str]] = {}
    todo = list(roots)
    while todo:
        fn = todo.pop()
        if fn in frames:
            continue
        if fn not in code:
            raise M0nnError(f"{fn}: not in the probe image")
        frames[fn] = _frame(fn, usage, code[fn])
        calls[fn] = _calls(fn, code[fn], set(code))
        todo += calls[fn] + [t for t in TAIL.get(fn, ()) if t in code]
    return frames, calls


def render_table(frames: dict[str, int], calls: dict[str, list[str]]) -> str:
    lines = [
        '"""Stack frames of lib/m0nn on Cortex-M0 (arm-none-eabi-gcc -O2 -fstack-usage, the m0_qemu build)',
        "and who calls whom, for the functions m0nn_graph_run and the FC runners reach.",
        "Written by `python -m m0nn.graph.stack_size --write` (see m0nn.graph.stack_size); do not edit.",
        '"""',
        "",
        "FRAMES = {",
        *(f'    "{k}": {v},' for k, v in sorted(frames.items())),
        "}",
        "",
        "CALLS = {",
        *(f'    "{k}": {tuple_literal(v)},' for k, v in sorted(calls.items()) if v),
        "}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m m0nn.graph.stack_size", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {TABLE.name} from the probe build")
    args = ap.parse_args(argv)
    try:
        if args.write:
            writable_table(TABLE)
        frames, calls = measure()
    except (M0nnError, FileNotFoundError) as exc:
        print(f"m0nn: error: {exc}", file=sys.stderr)
        return 1
    print(f"the runners reach {len(frames)} functions; table: {len(stack_sizes.FRAMES)}")
    for name in sorted(set(frames) | set(stack_sizes.FRAMES)):
        was, now = stack_sizes.FRAMES.get(name), frames.get(name)
        if was != now or tuple(calls.get(name, ())) != tuple(stack_sizes.CALLS.get(name, ())):
            print(f"  {name}: table {was} {stack_sizes.CALLS.get(name, ())}, build {now} {calls.get(name, ())}")
    if args.write:
        TABLE.write_text(render_table(frames, calls))
        print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
