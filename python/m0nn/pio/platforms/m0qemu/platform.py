"""PlatformIO platform class for m0nn's emulated Cortex-M0."""

from platformio.public import PlatformBase


class M0qemuPlatform(PlatformBase):
    """No packages: the toolchain and QEMU come from the system (Debian)."""
