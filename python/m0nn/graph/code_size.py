"""The flash a graph model needs, as the generator's budget check counts it:
the constant data its header defines plus the lib/m0nn code it links.

Both come from the arm-none-eabi build the m0_qemu env makes (-mcpu=cortex-m0 -O2
-ffunction-sections -fdata-sections, --gc-sections; m0nn.cycles.CFLAGS):

- code: the functions (and their read-only data) an image that calls
  m0nn_graph_run links from lib/m0nn and libgcc, one entry per section in
  m0nn.graph.code_sizes.FUNCTIONS. m0nn_graph_run calls each operator through the
  model's table of entries (m0nn.graph.kinds), so an image links the runner's sections
  (RUNNER) and those of the kinds its model has (KINDS, one probe link per kind): the
  code of a model is the union of those, each section counted once.
- data: each array and struct of the generated header, from its declaration (the
  struct sizes in the same table), each rounded up to 4 bytes.

The table (and each model's sum) may exceed the real link by at most MARGIN bytes, never fall short of it;
python/tests/test_code_size.py builds the image and checks that (and prints the new
table when a kernel changed). Regenerate it with

    .venv/bin/python -m m0nn.graph.code_size --write
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from m0nn import cycles
from m0nn.errors import M0nnError
from m0nn.graph import code_sizes
from m0nn.graph.kinds import HANDLER, kind_of
from m0nn.plugin import resources

if TYPE_CHECKING:  # numpy: data_bytes and the code tables serve the pre-build's no-change path (m0nn.budget)
    from m0nn.graph.ir import GModel

MARGIN = 64  # bytes the code table may exceed the real link by
TABLE = Path(__file__).with_name("code_sizes.py")

_SCALARS = {"m0nn_op_fn_t": 4, "int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4}
_DECL = re.compile(r"^static const (\w+) \w+((?:\[[\w *]+\])*)", re.M)
_DEFINE = re.compile(r"^#define (\w+) \(?(-?\d+)\)?$", re.M)

PROBE_MAIN = """#include "m0nn.h"

/* What a graph model links: m0nn_graph_run (the generated <name>_run calls it) and the
 * entries of its table of operator kinds. */
static const m0nn_op_fn_t m0nn_probe_kinds[] = {{{kinds}}};
static const m0nn_graph_t m0nn_probe_model = {{1, 0, 1, 1, (const m0nn_op_t *)0, {n_kinds}, m0nn_probe_kinds}};
const m0nn_graph_t *volatile m0nn_probe_graph = &m0nn_probe_model;
{structs}
int main(void)
{{
    static int8_t buf[16];{also}
    return (int)m0nn_graph_run(m0nn_probe_graph, buf, buf, buf);
}}
"""


def probe_main(kinds: Iterable[str], structs: str = "", also: str = "") -> str:
    """The probe's main: it runs a graph whose table holds the entries of `kinds` (m0nn.graph.kinds)
    (and first the statements `also`, after the declarations `structs`)."""
    names = [HANDLER[k] for k in HANDLER if k in set(kinds)] or ["(m0nn_op_fn_t)0"]
    return PROBE_MAIN.format(kinds=", ".join(names), n_kinds=len(names), structs=structs, also=also)


# The FC runners (the generated <name>_run of an FC model calls one: m0nn.codegen) and every
# kernel a layer's entry may name (m0nn.codegen.kernel_fn; the m0nn_fc_fn_t functions of m0nn.h).
FC_RUNNERS = ("m0nn_model_run", "m0nn_model_run_small")
FC_KERNELS = tuple(
    f"m0nn_fc_s8{k}"
    for k in (
        "",
        "_small",
        *(f"_{b}{r}" for b in ("b8", "b8w", "b4") for r in ("", "_q31", "_q31_split", "_shift")),
        "_b8p",  # the pairs layout: MUL32 only
    )
)


def fc_probe(runners: Iterable[str], kernels: Sequence[str]) -> tuple[str, str]:
    """Declarations and statements of main (probe_main's `structs` and `also`) that make the probe
    link and call the FC `runners` over a layer table naming `kernels` (none: a layer without one)."""
    entries = ", ".join(f"{{{k}, 0, {{0}}}}" for k in kernels) or "{(m0nn_fc_fn_t)0, 0, {0}}"
    decls = (
        f"static const m0nn_layer_t m0nn_probe_layers[] = {{{entries}}};\n"
        f"static const m0nn_model_t m0nn_probe_fc_model = {{{max(len(kernels), 1)}, 0, m0nn_probe_layers}};\n"
        "const m0nn_model_t *volatile m0nn_probe_fc = &m0nn_probe_fc_model;\n"
    )
    return decls, "".join(f"\n    (void){r}(m0nn_probe_fc, buf, buf, buf);" for r in runners)


def fc_runner_of(kernel: str) -> str:
    """The runner of an FC model with this kernel (kernel=small: its own runner)."""
    return "m0nn_model_run_small" if kernel == "m0nn_fc_s8_small" else "m0nn_model_run"


def model_kinds(model: GModel) -> set[str]:
    """The operator kinds a graph model has."""
    return {kind_of(op) for op in model.ops}


def code_bytes(kinds: Iterable[str]) -> int:
    """Bytes of lib/m0nn and libgcc code a graph model with these operator kinds links
    (m0nn.graph.code_sizes: the runner's sections and each kind's, each counted once),
    each section rounded up to 4 bytes (its alignment)."""
    used = set(code_sizes.RUNNER).union(*(code_sizes.KINDS[k] for k in set(kinds)))
    return sum((code_sizes.FUNCTIONS[s] + 3) & ~3 for s in used)


def fc_code_bytes(runner: str, kernels: Iterable[str]) -> int:
    """Bytes of lib/m0nn and libgcc code an FC model with this runner and these layer kernels links
    (m0nn.graph.code_sizes: the runner's sections and each kernel's, each counted once, each rounded
    up to 4 bytes)."""
    used = set(code_sizes.FC_RUNNER_SECTIONS[runner]).union(*(code_sizes.FC_KERNEL_SECTIONS[k] for k in set(kernels)))
    return sum((code_sizes.FUNCTIONS[s] + 3) & ~3 for s in used)


def data_bytes(header: str) -> int:
    """Bytes of the constant arrays and structs a generated graph header defines."""
    defines = {k: int(v) for k, v in _DEFINE.findall(header)}
    total = 0
    for ctype, dims in _DECL.findall(header):
        size = _SCALARS.get(ctype, code_sizes.TYPES.get(ctype))
        if size is None:
            raise KeyError(f"no size for {ctype}: regenerate m0nn.graph.code_sizes")
        for dim in re.findall(r"\[([\w *]+)\]", dims):
            for d in dim.split("*"):  # `[10 * 64]`: the row-major weights of the reference kernels
                size *= int(d) if d.strip().isdigit() else defines[d.strip()]
        total += (size + 3) & ~3
    return total


def _nm(path: Path) -> list[tuple[int, int, str, str]]:
    """(address, size, type, name) of the sized symbols of an object or image."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 4:
            rows.append((int(p[0], 16), int(p[1], 16), p[2], p[3]))
    return rows


def structtuple_literal(lib: Path) -> list[str]:
    return re.findall(r"^} (m0nn_\w+_t);", (lib / "include" / "m0nn.h").read_text(), re.M)


def linked_sections(map_text: str, exclude: tuple[str, ...]) -> dict[str, int]:
    """Input sections the linker kept in .text/.rodata (from its map), "object:section" -> bytes,
    without those of the objects named in `exclude`."""
    body = map_text.split("Linker script and memory map", 1)[-1]
    out: dict[str, int] = {}
    output_section, pending = "", ""
    for line in body.splitlines():
        top = re.match(r"^(\.\w+)\s", line + " ")
        if top:
            output_section = top.group(1)
            continue
        m = re.match(r"^ (\.\S+)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (\S.*))?$", line)
        if m and m.group(2) is None:
            pending = m.group(1)
            continue
        if m:
            name, size, obj = m.group(1), int(m.group(3), 16), m.group(4)
        else:
            c = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (\S.*)$", line)
            if not c or not pending:
                pending = ""
                continue
            name, size, obj = pending, int(c.group(2), 16), c.group(3)
        pending = ""
        if output_section not in (".text", ".rodata") or size == 0:
            continue
        obj = re.sub(r"^\d+_", "", Path(obj).name) if "(" not in obj else re.sub(r"^.*/", "", obj)
        if obj in exclude:
            continue
        key = f"{obj}:{name}"
        out[key] = out.get(key, 0) + size
    return out


@dataclass
class Measured:
    functions: dict[str, int]  # object:section -> bytes of code and read-only data, every kind linked
    runner: list[str]  # the sections an image links with no kind in its table
    kinds: dict[str, list[str]]  # kind -> the sections it adds to the runner's
    types: dict[str, int]  # struct type -> sizeof
    fc_runners: dict[str, list[str]]  # FC runner -> the sections it links
    fc_kernels: dict[str, list[str]]  # FC kernel -> the sections it adds to its runner's


def measure(lib: Path | None = None) -> Measured:
    """Build the probe image with every kind and both FC runners over every FC kernel, then relink it
    with no kind, with each kind alone, with each FC runner alone and with each FC kernel alone."""
    lib = lib or resources.c_library()
    types = [t for t in structtuple_literal(lib) if t not in ("m0nn_status_t", "m0nn_op_kind_t")]
    structs = "".join(f"const {t} m0nn_sizeof_{t};\n" for t in types)
    include = [lib / "include", lib / "src"]
    with tempfile.TemporaryDirectory(prefix="m0nn_code_size_") as tmp:
        work = Path(tmp)
        main = work / "probe_main.c"
        fc_decls, fc_calls = fc_probe(FC_RUNNERS, FC_KERNELS)
        main.write_text(probe_main(HANDLER, structs + fc_decls, fc_calls))
        srcs = cycles.library_sources(lib) + [main]
        cycles.compile_image(srcs, include, work / "p.elf")
        main_obj = next(work.glob("*_probe_main.o"))
        sizes = {n[len("m0nn_sizeof_") :]: s for _, s, _, n in _nm(main_obj) if n.startswith("m0nn_sizeof_")}
        functions = library_sections(work, "probe_main.o")
        main_obj.unlink()
        alone = {kind: _variant(work, include, probe_main([kind] if kind else [])) for kind in ["", *HANDLER]}
        runner = alone.pop("")
        fc_runners = {r: _variant(work, include, probe_main([], *fc_probe([r], []))) - runner for r in FC_RUNNERS}
        fc_kernels = {
            k: _variant(work, include, probe_main([], *fc_probe([fc_runner_of(k)], [k])))
            - runner
            - fc_runners[fc_runner_of(k)]
            for k in FC_KERNELS
        }
    return Measured(
        functions,
        sorted(runner),
        {k: sorted(v - runner) for k, v in alone.items()},
        sizes,
        {k: sorted(v) for k, v in fc_runners.items()},
        {k: sorted(v) for k, v in fc_kernels.items()},
    )


def _variant(work: Path, include: list[Path], text: str) -> set[str]:
    """The library sections of the probe image relinked with `text` as its main."""
    variant = work / "variant" / "probe_main.c"
    variant.parent.mkdir(exist_ok=True)
    variant.write_text(text)
    obj = variant.with_suffix(".o")
    flags = [*cycles.CFLAGS, *(f"-I{d}" for d in [*include, cycles.PLATFORM / "bsp"])]
    subprocess.run(["arm-none-eabi-gcc", *flags, "-c", str(variant), "-o", str(obj)], check=True)
    return set(library_sections(work, "probe_main.o", [obj]))


def library_sections(work: Path, main: str, extra: list[Path] | None = None) -> dict[str, int]:
    """The lib/m0nn and libgcc sections of the image m0nn.cycles.compile_image built from
    the objects in `work` and `extra` (linked again, the same way, for the linker's map),
    without the `main` object's and the board support's."""
    objs = [str(o) for o in [*sorted(work.glob("*.o")), *(extra or [])]]
    link = ["arm-none-eabi-gcc", *cycles.LDFLAGS, *objs, "-lgcc", "-Xlinker", f"-Map={work / 'sections.map'}"]
    subprocess.run([*link, "-o", str(work / "sections.elf")], check=True)
    return linked_sections((work / "sections.map").read_text(), (main, "m0qemu.o"))


def writable_table(table: Path) -> None:
    """Refuse to rewrite `table` (a generated module of m0nn.graph) outside a source checkout:
    an installed m0nn's copy would drift from the repository's. M0nnError in one line."""
    if resources.source_checkout() is None:
        raise M0nnError(
            f"--write rewrites {table.name} in m0nn's source tree, and this m0nn ({resources.PACKAGE}) is "
            "installed, not a source checkout: run it in a checkout (pip install -e .)"
        )


def tuple_literal(names: list[str]) -> str:
    """A tuple of names as ruff formats it (the generated tables' style)."""
    if not names:
        return "()"
    if len(names) == 1:
        return f'("{names[0]}",)'
    return "(\n" + "".join(f'        "{n}",\n' for n in names) + "    )"


def render_table(m: Measured) -> str:
    lines = [
        '"""Code and struct sizes of lib/m0nn on Cortex-M0 (arm-none-eabi-gcc -O2, the m0_qemu build):',
        "the sections an image calling m0nn_graph_run links (with every operator kind; with none: RUNNER;",
        "what each kind adds: KINDS), and sizeof each parameter struct.",
        "Written by `python -m m0nn.graph.code_size --write` (see m0nn.graph.code_size); do not edit.",
        '"""',
        "",
        "FUNCTIONS = {",
        *(f'    "{k}": {v},' for k, v in sorted(m.functions.items())),
        "}",
        "",
        f"RUNNER = {tuple_literal(m.runner).replace(chr(10) + '    ', chr(10))}",
        "",
        "KINDS = {",
        *(f'    "{k}": {tuple_literal(v)},' for k, v in m.kinds.items()),
        "}",
        "",
        "TYPES = {",
        *(f'    "{k}": {v},' for k, v in sorted(m.types.items())),
        "}",
        "",
        "# FC models: the sections each runner links, and what each layer kernel adds to its runner's.",
        "FC_RUNNER_SECTIONS = {",
        *(f'    "{k}": {tuple_literal(v)},' for k, v in m.fc_runners.items()),
        "}",
        "",
        "FC_KERNEL_SECTIONS = {",
        *(f'    "{k}": {tuple_literal(v)},' for k, v in m.fc_kernels.items()),
        "}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m m0nn.graph.code_size", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {TABLE.name} from the measured link")
    args = ap.parse_args(argv)
    try:
        if args.write:
            writable_table(TABLE)
        m = measure()
    except (M0nnError, FileNotFoundError) as exc:
        print(f"m0nn: error: {exc}", file=sys.stderr)
        return 1
    every = sum(m.functions.values())
    table = sum(code_sizes.FUNCTIONS.values())
    print(f"graph code linked with every kind: {every} bytes in {len(m.functions)} sections; table: {table}")
    for name in sorted(set(m.functions) | set(code_sizes.FUNCTIONS)):
        was, now = code_sizes.FUNCTIONS.get(name), m.functions.get(name)
        if was != now:
            print(f"  {name}: table {was}, link {now}")
    for kind, sections in m.kinds.items():
        if tuple(sections) != tuple(code_sizes.KINDS.get(kind, ())):
            print(f"  kind {kind}: table {code_sizes.KINDS.get(kind)}, link {sections}")
    if tuple(m.runner) != tuple(code_sizes.RUNNER):
        print(f"  runner: table {code_sizes.RUNNER}, link {m.runner}")
    fc_was = {**code_sizes.FC_RUNNER_SECTIONS, **code_sizes.FC_KERNEL_SECTIONS}
    for name, sections in [*m.fc_runners.items(), *m.fc_kernels.items()]:
        if tuple(sections) != tuple(fc_was.get(name, ())):
            print(f"  {name}: table {fc_was.get(name)}, link {sections}")
    if args.write:
        TABLE.write_text(render_table(m))
        print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
