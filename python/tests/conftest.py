"""Shared fixtures: the repository root and its example models."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
GENERATED = ROOT / "lib" / "m0nn" / "generated"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def pio(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run PlatformIO from this Python's environment."""
    return subprocess.run(
        [sys.executable, "-m", "platformio", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def copy_project(dst: Path) -> Path:
    """A copy of the PlatformIO project (sources, models, generated headers), without build output."""
    dst.mkdir(parents=True)
    for name in ("platformio.ini", "extra_scripts", "lib", "models", "src", "test"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst / name)
    return dst


@pytest.fixture(scope="session")
def m0qemu() -> None:
    """The m0qemu platform of this checkout, installed in PlatformIO's core dir (idempotent)."""
    from m0nn import piosetup

    piosetup.install_m0qemu(piosetup.find_pio())


needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs gcc-arm-none-eabi")
