"""The zero-FP gate: Cortex-M0 code that links a float or division helper.

Cortex-M0 has no FPU and no divide instruction, so a `float`, a `double` or a `/`
in device code turns into calls to libgcc helpers. Their names are the evidence.
Which object pulled each one in comes from the linker's cross-reference table
(`-Map=program.map`, `--cref`), followed through libgcc's own members.

Modes (`custom_m0nn_fp_gate` in platformio.ini):
  m0nn    (default) m0nn's own code -- the C library, the test harness, the board
          support -- may reference no such helper; the project's own code may
          (libgcc divides correctly on an M0, only slowly): reported, not an error.
  strict  no such helper may be linked at all, whoever asked for it.
  off     no check.

Standalone: python fpgate.py ELF [--map MAP] [--mode strict|m0nn|off] [--nm NM]
(without --map only `strict` can run, without naming objects).
Exit status 0: passed; 1: helpers found (listed with the objects that pulled them in);
2: the ELF or the map could not be read.
"""

from __future__ import annotations

import re
import subprocess
import sys

MODES = ("m0nn", "strict", "off")
FORBIDDEN = (
    # ARM run-time ABI: float and double arithmetic, compares, conversions, division.
    re.compile(r"^__aeabi_(f|d|cf|cd|i2f|i2d|ui2f|ui2d|l2f|l2d|ul2f|ul2d)\w*$"),
    re.compile(r"^__aeabi_u?i?l?div\w*$"),
    # libgcc's generic names: __addsf3, __fixdfsi, __floatsisf, __divsi3, __umoddi3 ...
    re.compile(r"^__\w*(sf|df|tf|xf)\d?\w*$"),
    re.compile(r"^__u?(div|mod)(si|di|ti)3$"),
)
# Members of the toolchain's own archives: they pass a reference on, they never start one.
TOOLCHAIN = re.compile(r"(^|/)lib(gcc|c|m|g|nosys|c_nano|g_nano)\.a\(")
# m0nn's own objects: the C library (archived or not), the test harness, the board support.
M0NN_OBJECT = re.compile(r"(^|/)libm0nn\.a\(|/lib[0-9a-f]+/m0nn/[^/]+\.o$|(^|/)m0nn_unit\.o$|/m0qemu_bsp/")


def forbidden_symbols(names: list[str]) -> list[str]:
    """Return the names that are float or division helpers, sorted."""
    return sorted({n for n in names if any(p.match(n) for p in FORBIDDEN)})


def elf_symbols(elf: str, nm: str = "arm-none-eabi-nm") -> list[str]:
    """Every symbol name `nm` lists for `elf` (defined or not)."""
    out = subprocess.run([nm, elf], check=True, capture_output=True, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def check(elf: str, nm: str = "arm-none-eabi-nm") -> list[str]:
    """The forbidden helpers linked into `elf`; empty when it is clean."""
    return forbidden_symbols(elf_symbols(elf, nm))


def cross_references(map_text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """From a GNU ld map with --cref: symbol -> defining file, symbol -> referencing files."""
    defined: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    _, found, table = map_text.partition("Cross Reference Table")
    if not found:
        raise ValueError("the map has no cross-reference table (link with -Wl,--cref)")
    symbol = None
    for line in table.splitlines()[1:]:
        if not line.strip() or line.startswith("Symbol "):
            continue
        if not line[0].isspace():
            parts = line.split(None, 1)
            symbol = parts[0]
            refs[symbol] = []
            if len(parts) == 2:
                defined[symbol] = parts[1].strip()
        elif symbol is not None:
            refs[symbol].append(line.strip())
    return defined, refs


def origins(symbol: str, defined: dict[str, str], refs: dict[str, list[str]]) -> list[str]:
    """The objects outside the toolchain whose references pulled `symbol` in, following a
    reference from a libgcc member back to whoever pulled that member in."""
    by_file: dict[str, list[str]] = {}
    for sym, where in defined.items():
        by_file.setdefault(where, []).append(sym)
    found: list[str] = []
    seen = {symbol}
    todo = [symbol]
    while todo:
        for ref in refs.get(todo.pop(), []):
            if not TOOLCHAIN.search(ref):
                if ref not in found:
                    found.append(ref)
                continue
            for sym in by_file.get(ref, []):
                if sym not in seen:
                    seen.add(sym)
                    todo.append(sym)
    return found


def gate(elf: str, map_path: str | None, mode: str, nm: str = "arm-none-eabi-nm") -> tuple[list[str], list[str]]:
    """(errors, notes): one line per helper. Raises OSError, ValueError or CalledProcessError
    when the ELF or the map cannot be read."""
    if mode not in MODES:
        raise ValueError(f"custom_m0nn_fp_gate = {mode!r}: choose one of {', '.join(MODES)}")
    if mode == "off":
        return [], []
    if map_path is None:
        if mode != "strict":
            raise ValueError(f"mode {mode} needs the link map (--map)")
        return [f"{h} (no map: objects not named)" for h in check(elf, nm)], []
    with open(map_path, encoding="utf-8", errors="replace") as f:
        defined, refs = cross_references(f.read())
    linked = check(elf, nm)
    errors: list[str] = []
    notes: list[str] = []
    for helper in forbidden_symbols(list(refs)):
        pulled_by = origins(helper, defined, refs)
        ours = [o for o in pulled_by if M0NN_OBJECT.search(o)]
        if ours:
            errors.append(f"{helper} pulled in by m0nn's {', '.join(ours)}")
        elif helper in linked and pulled_by:
            line = f"{helper} pulled in by {', '.join(pulled_by)}"
            (errors if mode == "strict" else notes).append(line)
    if mode == "strict":
        named = {e.split()[0] for e in errors}
        errors += [f"{h} (linked)" for h in linked if h not in named and not origins(h, defined, refs)]
    return errors, notes


def main(argv: list[str]) -> int:
    opts = {"--map": None, "--mode": "strict", "--nm": "arm-none-eabi-nm"}
    args = []
    it = iter(argv)
    for a in it:
        if a in opts:
            opts[a] = next(it, None)
        else:
            args.append(a)
    if len(args) != 1 or opts["--mode"] is None or opts["--nm"] is None:
        print("usage: fpgate.py ELF [--map MAP] [--mode strict|m0nn|off] [--nm NM]", file=sys.stderr)
        return 2
    try:
        errors, notes = gate(args[0], opts["--map"], opts["--mode"], opts["--nm"])
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"fpgate: cannot check {args[0]}: {exc}", file=sys.stderr)
        return 2
    for line in notes:
        print(f"fpgate: allowed in the project's own code ({opts['--mode']} gate): {line}")
    if errors:
        print(f"fpgate: {args[0]} links float/division helpers: {'; '.join(errors)}", file=sys.stderr)
        return 1
    if opts["--mode"] != "off":
        where = "the image" if opts["--mode"] == "strict" else "m0nn's code"
        print(f"fpgate: {args[0]}: no float or division helper in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
