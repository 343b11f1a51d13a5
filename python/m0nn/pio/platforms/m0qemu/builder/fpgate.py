"""The zero-FP gate: an ARMv6-M image may not link any float or division helper.

Cortex-M0 has no FPU and no divide instruction, so a `float`, a `double` or a `/`
in device code turns into calls to libgcc helpers. Their names are the evidence:
this module lists the defined symbols of an ELF with `nm` and rejects every one of
those helpers. It runs as a post-link step of every m0qemu build, and standalone:

    python fpgate.py program.elf [--nm arm-none-eabi-nm]

Exit status 0: clean; 1: helpers found (listed); 2: the ELF could not be read.
"""

from __future__ import annotations

import re
import subprocess
import sys

FORBIDDEN = (
    # ARM run-time ABI: float and double arithmetic, compares, conversions, division.
    re.compile(r"^__aeabi_(f|d|cf|cd|i2f|i2d|ui2f|ui2d|l2f|l2d|ul2f|ul2d)\w*$"),
    re.compile(r"^__aeabi_u?i?l?div\w*$"),
    # libgcc's generic names: __addsf3, __fixdfsi, __floatsisf, __divsi3, __umoddi3 ...
    re.compile(r"^__\w*(sf|df|tf|xf)\d?\w*$"),
    re.compile(r"^__u?(div|mod)(si|di|ti)3$"),
)


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


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--nm")]
    nm = "arm-none-eabi-nm"
    for i, a in enumerate(argv):
        if a == "--nm" and i + 1 < len(argv):
            nm = argv[i + 1]
            args.remove(nm)
    if len(args) != 1:
        print("usage: fpgate.py ELF [--nm NM]", file=sys.stderr)
        return 2
    try:
        bad = check(args[0], nm)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"fpgate: cannot read {args[0]}: {exc}", file=sys.stderr)
        return 2
    if bad:
        print(f"fpgate: {args[0]} links float/division helpers: {', '.join(bad)}", file=sys.stderr)
        return 1
    print(f"fpgate: {args[0]}: no float or division helper")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
