"""The RAM check after the link: static RAM plus the stack of the models the image links.

The linker places .data and .bss and checks that they fit; the stack grows down from the
top of RAM (ldscripts/microbit.ld: `__stack_top`) into whatever is left, unchecked. m0nn
knows a bound of the stack each model's `<name>_run` takes from its call (the header's
`<NAME>_STACK_SIZE`, docs/numerics.md "The budget"), so after the link:

    static RAM (.data + .bss)  +  frames of m0qemu_reset and main  +  the largest bound
    of the models linked into the image   <=   the board's RAM

The models come from the pre-build step (C name -> stated bound, every header it
generated); a model counts when the image holds its tables (the local symbol
`<name>_graph` of a graph model, `<name>_model` of an FC model): a model the firmware
never calls is dropped by the compiler and costs no stack. The margin is measured, not
guessed: the frames `m0qemu_reset` and `main` open (their prologue's `push` and
`sub sp, #imm` in the image); frames between main and `<name>_run` and interrupt handlers
of the application are not known here, so the check is a floor (a build it refuses cannot
work; one it passes can still be too tight).

Standard library and the toolchain's nm only (it runs in PlatformIO's Python).
Standalone: python ramcheck.py ELF RAM NAME=BOUND... (exit 1 and the line when it does not fit).
"""

from __future__ import annotations

import struct
import subprocess
import sys


def symbols(elf: str, nm: str = "arm-none-eabi-nm") -> dict[str, tuple[int, int]]:
    """name -> (address, size) of every symbol `nm -S` lists with an address."""
    out = subprocess.run([nm, "-S", elf], check=True, capture_output=True, text=True).stdout
    found: dict[str, tuple[int, int]] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            found.setdefault(parts[3], (int(parts[0], 16), int(parts[1], 16)))
        elif len(parts) == 3 and parts[1] not in ("U", "w", "v"):
            found.setdefault(parts[2], (int(parts[0], 16), 0))
    return found


def _code(elf: str, address: int, size: int) -> bytes:
    """`size` bytes of the image at `address` (from the ELF's loaded segments), b"" when none holds it."""
    with open(elf, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        return b""  # not a 32-bit little-endian ELF
    phoff, _, _, _, phentsize, phnum = struct.unpack_from("<IIIHHH", data, 28)
    address &= ~1  # a Thumb function's symbol value has bit 0 set
    for i in range(phnum):
        kind, offset, vaddr, _, filesz = struct.unpack_from("<IIIII", data, phoff + i * phentsize)
        if kind == 1 and vaddr <= address and address + size <= vaddr + filesz:
            start = offset + address - vaddr
            return data[start : start + size]
    return b""


def prologue_bytes(code: bytes) -> int:
    """Stack bytes a Thumb function's prologue takes: its `push {...}` (4 per register) and
    `sub sp, #imm`, read until the first other instruction that is not a register move
    (ARMv6-M encodings; `mov rX, r8`-style saves between two pushes are skipped).

    >>> prologue_bytes(bytes.fromhex("90b5" "85b0" "00af"))  # push {r4, r7, lr}; sub sp, #20; add r7, sp, #0
    32
    >>> prologue_bytes(bytes.fromhex("f0b5" "4746" "80b4" "00f0"))  # push {r4-r7, lr}; mov r7, r8; push {r7}; bl
    24
    """
    total = 0
    for (half,) in struct.iter_unpack("<H", code[: len(code) // 2 * 2]):
        if half & 0xFE00 == 0xB400:  # push {reglist[, lr]}
            total += 4 * (bin(half & 0xFF).count("1") + (half >> 8 & 1))
        elif half & 0xFF80 == 0xB080:  # sub sp, #imm7 * 4
            total += 4 * (half & 0x7F)
        elif half & 0xFF00 == 0x4600:  # mov (high registers): saves between pushes
            continue
        else:
            break
    return total


def check(elf: str, ram: int, ram_source: str, bounds: dict[str, int], nm: str = "arm-none-eabi-nm") -> str | None:
    """The error line when static RAM + the entry frames + the largest stack bound of the
    models `elf` links exceeds `ram` bytes (`ram_source`: where that number comes from), else None."""
    syms = symbols(elf, nm)

    def span(first: str, last: str) -> int:
        return syms[last][0] - syms[first][0] if first in syms and last in syms else 0

    static = span("__data_start", "__data_end") + span("__bss_start", "__bss_end")
    linked = {name: bound for name, bound in bounds.items() if f"{name}_graph" in syms or f"{name}_model" in syms}
    if not linked:
        return None
    name, bound = max(linked.items(), key=lambda item: (item[1], item[0]))
    frames = {
        f: prologue_bytes(_code(elf, syms[f][0], min(syms[f][1] or 16, 16))) for f in ("m0qemu_reset", "main") if f in syms
    }
    if static + sum(frames.values()) + bound <= ram:
        return None
    entry = " + ".join(f"{f}'s frame {n}" for f, n in frames.items() if n)
    return (
        f"m0nn: error: RAM: static {static} (.data + .bss) + the stack bound of {name}_run {bound}"
        f"{' + ' + entry if entry else ''} = {static + sum(frames.values()) + bound} > {ram} bytes ({ram_source}); "
        f"the stack would overwrite the firmware's data: shrink its static buffers by "
        f"{static + sum(frames.values()) + bound - ram} bytes or more"
    )


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write(__doc__.strip().splitlines()[-1] + "\n")
        return 2
    bounds = {k: int(v) for k, v in (a.split("=", 1) for a in argv[2:])}
    line = check(argv[0], int(argv[1]), "given", bounds)
    if line:
        sys.stderr.write(line + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
