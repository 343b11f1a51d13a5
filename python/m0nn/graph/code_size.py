"""The flash a graph model needs, as the generator's budget check counts it:
the constant data its header defines plus the lib/m0nn code it links.

Both come from the arm-none-eabi build the m0_qemu env makes (-mcpu=cortex-m0 -O2
-ffunction-sections -fdata-sections, --gc-sections; m0nn.cycles.CFLAGS):

- code: the functions (and their read-only data) an image that calls
  m0nn_graph_run links from lib/m0nn and libgcc, one entry per symbol in
  m0nn.graph.code_sizes. m0nn_graph_run dispatches on the operator kind, so it links
  every graph kernel: the code is the same for each graph model.
- data: each array and struct of the generated header, from its declaration (the
  struct sizes in the same table), each rounded up to 4 bytes.

The table may exceed the real link by at most MARGIN bytes, never fall short of it;
python/tests/test_code_size.py builds the image and checks that (and prints the new
table when a kernel changed). Regenerate it with

    .venv/bin/python -m m0nn.graph.code_size --write
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

from m0nn import cycles
from m0nn.graph import code_sizes

MARGIN = 64  # bytes the code table may exceed the real link by
ROOT = Path(__file__).resolve().parents[3]
TABLE = Path(__file__).with_name("code_sizes.py")

_SCALARS = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4}
_DECL = re.compile(r"^static const (\w+) \w+((?:\[\w+\])*)", re.M)
_DEFINE = re.compile(r"^#define (\w+) \(?(-?\d+)\)?$", re.M)

PROBE_MAIN = """#include "m0nn.h"

/* What a graph model links: m0nn_graph_run (the generated <name>_run calls it). */
const m0nn_graph_t *volatile m0nn_probe_graph;
{structs}
int main(void)
{{
    static int8_t buf[16];
    return (int)m0nn_graph_run(m0nn_probe_graph, buf, buf, buf);
}}
"""


def code_bytes() -> int:
    """Bytes of lib/m0nn and libgcc code a graph model links (m0nn.graph.code_sizes), each
    section rounded up to 4 bytes (its alignment)."""
    return sum((v + 3) & ~3 for v in code_sizes.FUNCTIONS.values())


def data_bytes(header: str) -> int:
    """Bytes of the constant arrays and structs a generated graph header defines."""
    defines = {k: int(v) for k, v in _DEFINE.findall(header)}
    total = 0
    for ctype, dims in _DECL.findall(header):
        size = _SCALARS.get(ctype, code_sizes.TYPES.get(ctype))
        if size is None:
            raise KeyError(f"no size for {ctype}: regenerate m0nn.graph.code_sizes")
        for d in re.findall(r"\[(\w+)\]", dims):
            size *= int(d) if d.isdigit() else defines[d]
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


def struct_names(lib: Path) -> list[str]:
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


def measure(lib: Path | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Build the probe image; return (object:section -> bytes of code and read-only data, struct type -> sizeof)."""
    lib = lib or ROOT / "lib" / "m0nn"
    types = [t for t in struct_names(lib) if t not in ("m0nn_status_t", "m0nn_op_kind_t")]
    structs = "".join(f"const {t} m0nn_sizeof_{t};\n" for t in types)
    with tempfile.TemporaryDirectory(prefix="m0nn_code_size_") as tmp:
        work = Path(tmp)
        main = work / "probe_main.c"
        main.write_text(PROBE_MAIN.format(structs=structs))
        srcs = cycles.library_sources(lib) + [main]
        cycles.compile_image(srcs, [lib / "include", lib / "src"], work / "p.elf")
        main_obj = next(work.glob("*_probe_main.o"))
        sizes = {n[len("m0nn_sizeof_") :]: s for _, s, _, n in _nm(main_obj) if n.startswith("m0nn_sizeof_")}
        sections = library_sections(work, "probe_main.o")
    return sections, sizes


def library_sections(work: Path, main: str) -> dict[str, int]:
    """The lib/m0nn and libgcc sections of the image m0nn.cycles.compile_image built from
    the objects in `work` (linked again, the same way, for the linker's map), without
    the `main` object's and the board support's."""
    objs = [str(o) for o in sorted(work.glob("*.o"))]
    link = ["arm-none-eabi-gcc", *cycles.LDFLAGS, *objs, "-lgcc", f"-Wl,-Map,{work / 'sections.map'}"]
    subprocess.run([*link, "-o", str(work / "sections.elf")], check=True)
    return linked_sections((work / "sections.map").read_text(), (main, "m0qemu.o"))


def render_table(functions: dict[str, int], types: dict[str, int]) -> str:
    lines = [
        '"""Code and struct sizes of lib/m0nn on Cortex-M0 (arm-none-eabi-gcc -O2, the m0_qemu build):',
        "the symbols an image calling m0nn_graph_run links, and sizeof each parameter struct.",
        "Written by `python -m m0nn.graph.code_size --write` (see m0nn.graph.code_size); do not edit.",
        '"""',
        "",
        "FUNCTIONS = {",
        *(f'    "{k}": {v},' for k, v in sorted(functions.items())),
        "}",
        "",
        "TYPES = {",
        *(f'    "{k}": {v},' for k, v in sorted(types.items())),
        "}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m m0nn.graph.code_size", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {TABLE.name} from the measured link")
    args = ap.parse_args(argv)
    functions, types = measure()
    print(f"graph code linked: {sum(functions.values())} bytes in {len(functions)} symbols; table: {code_bytes()}")
    for name in sorted(set(functions) | set(code_sizes.FUNCTIONS)):
        was, now = code_sizes.FUNCTIONS.get(name), functions.get(name)
        if was != now:
            print(f"  {name}: table {was}, link {now}")
    if args.write:
        TABLE.write_text(render_table(functions, types))
        print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
