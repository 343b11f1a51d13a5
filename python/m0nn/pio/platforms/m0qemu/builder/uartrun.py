"""Runs a UART image (board microbit_bare) on QEMU's micro:bit, as `pio test` does.

The image prints over the nRF51 UART (CR LF line ends) and ends with the line
`m0qemu: exit status N`, then sleeps: a real board has nothing to exit to, and the
image has no semihosting to end QEMU with. This script shows the serial port on
stdout (LF line ends), stops QEMU once that line has arrived and exits with N;
after `timeout` seconds without it, with 124 (as `timeout` does).

    python uartrun.py program.hex [TIMEOUT_SECONDS]
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time

EXIT_LINE = re.compile(rb"m0qemu: exit status (-?\d+)\r\n")


def run(image: str, timeout: float) -> int:
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-M", "microbit", "-display", "none", "-monitor", "none",
         "-serial", "stdio", "-device", "loader,file=%s" % image.replace(",", ",,")],  # QEMU's escaped comma
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert qemu.stdout is not None
    deadline = time.monotonic() + timeout
    pending = b""
    sel = selectors.DefaultSelector()
    sel.register(qemu.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                sys.stdout.write("uartrun: no exit line from %s after %g s\n" % (image, timeout))
                return 124
            chunk = os.read(qemu.stdout.fileno(), 4096)
            if not chunk:
                sys.stdout.write("uartrun: QEMU ended before the exit line\n")
                return qemu.wait() or 2
            pending += chunk
            lines = pending.split(b"\n")
            pending = lines.pop()
            for line in lines:
                sys.stdout.write(line.rstrip(b"\r").decode("utf-8", "replace") + "\n")
                sys.stdout.flush()
                m = EXIT_LINE.fullmatch(line + b"\n")
                if m:
                    return int(m.group(1)) & 0xFF
    finally:
        sel.close()
        if qemu.poll() is None:
            qemu.terminate()
            qemu.wait(timeout=10)


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        sys.stderr.write("usage: uartrun.py IMAGE.hex [TIMEOUT_SECONDS]\n")
        return 2
    return run(argv[0], float(argv[1]) if len(argv) == 2 else 120.0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
