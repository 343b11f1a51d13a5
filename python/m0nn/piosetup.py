"""Provide locally what PlatformIO would download, when its registry is unreachable.

Three things: the `tool-scons` core package (built from PyPI's `scons`), m0nn's
stand-in for the `native` platform, and a check that Debian's Cortex-M0 toolchain
and QEMU are on PATH. The emulated-M0 platform needs no install: platformio.ini
points at it inside this package. Unity is never needed (test/test_custom_runner.py).

Idempotent: what is installed already is left alone. When the registry answers,
nothing is installed at all, so such a user sees standard PlatformIO behaviour.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from m0nn.errors import SetupError

PLATFORMS = Path(__file__).resolve().parent / "pio" / "platforms"
DEBIAN_TOOLS = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
}


def registry_reachable(timeout: float = 3.0) -> bool:
    """True when a TCP connection to one of PlatformIO's registry hosts opens."""
    import platformio

    for host in platformio.__registry_mirror_hosts__:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def _pio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "platformio", *args], capture_output=True, text=True, check=False)


def _packages_dir() -> Path:
    from platformio.project.config import ProjectConfig

    return Path(ProjectConfig.get_instance().get("platformio", "packages_dir"))


def _scons_requirement() -> str:
    from platformio.dependencies import get_core_dependencies

    return str(get_core_dependencies()["tool-scons"]).lstrip("~^=")


def install_tool_scons() -> str:
    """Install tool-scons from the `scons` module of this Python; return a status line."""
    import SCons

    version = _scons_requirement()
    from platformio.package.manager.core import get_core_package_dir

    if get_core_package_dir("tool-scons", auto_install=False):
        return "tool-scons: already installed"
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "tool-scons"
        pkg.mkdir()
        shutil.copytree(Path(SCons.__file__).parent, pkg / "SCons")
        (pkg / "scons.py").write_text(
            "import os, sys\n"
            "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
            "from SCons.Script import main\n"
            "main()\n"
        )
        manifest = {"name": "tool-scons", "version": version, "description": "SCons from PyPI (m0nn offline setup)"}
        (pkg / "package.json").write_text(json.dumps(manifest, indent=2))
        result = _pio("pkg", "install", "-g", "-t", f"file://{pkg}")
        if result.returncode != 0:
            raise SetupError(f"installing tool-scons failed:\n{result.stdout}{result.stderr}")
    # PlatformIO looks its core packages up as platformio/tool-scons.
    piopm = _packages_dir() / "tool-scons" / ".piopm"
    data = json.loads(piopm.read_text())
    data["spec"]["owner"] = "platformio"
    piopm.write_text(json.dumps(data))
    if not get_core_package_dir("tool-scons", auto_install=False):
        raise SetupError(f"tool-scons installed but PlatformIO does not find it ({piopm})")
    return f"tool-scons: installed {version} from SCons {SCons.__version__}"


def install_native_platform() -> str:
    """Install the `native` stand-in unless a `native` platform is installed."""
    from platformio.package.manager.platform import PlatformPackageManager

    if PlatformPackageManager().get_package("native"):
        return "platform native: already installed"
    result = _pio("pkg", "install", "-g", "-p", f"file://{PLATFORMS / 'native'}")
    if result.returncode != 0:
        raise SetupError(f"installing the native platform failed:\n{result.stdout}{result.stderr}")
    return "platform native: installed m0nn's offline stand-in"


def check_debian_tools() -> list[str]:
    """Names of the missing Debian tools (with the packages that provide them)."""
    return [f"{tool} (apt-get install {pkgs})" for tool, pkgs in DEBIAN_TOOLS.items() if shutil.which(tool) is None]


def setup(force_offline: bool = False) -> list[str]:
    """Run every step; return one status line per step. Raises SetupError."""
    lines = []
    missing = check_debian_tools()
    if missing:
        raise SetupError("missing Debian tools: " + "; ".join(missing))
    lines.append("toolchain: arm-none-eabi-gcc and qemu-system-arm found")
    if not force_offline and registry_reachable():
        lines.append("PlatformIO registry reachable: using PlatformIO's own packages")
        return lines
    lines.append("PlatformIO registry unreachable: providing local packages")
    lines.append(install_tool_scons())
    lines.append(install_native_platform())
    return lines
