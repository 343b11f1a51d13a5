"""Give PlatformIO what m0nn needs on this machine, offline too.

Always: the emulated-M0 platform `m0qemu`, installed into PlatformIO's core dir as a
link to this m0nn's folder of it (versioned as m0nn; an upgrade of m0nn upgrades it),
and a note in the core dir saying where this m0nn lives (<core dir>/m0nn/install.json),
so the pre-build script finds it from PlatformIO's own Python.

When PlatformIO's registry is unreachable: the `tool-scons` core package (built from
PyPI's `scons` into <core dir>/m0nn/tool-scons, installed as a link to it) and m0nn's
stand-in for the `native` platform. With the registry
reachable nothing of PlatformIO's own is installed or replaced.

PlatformIO is driven as a program (`python -m platformio` of this Python when it has
it, else `pio` on PATH, else ~/.platformio/penv), so it may live in another Python
than m0nn. Idempotent: what is installed and current is left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from m0nn import __version__
from m0nn.errors import SetupError
from m0nn.plugin import resources

PLATFORMS = resources.PIO / "platforms"
DEBIAN_TOOLS = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
}
INSTALL_NOTE = "install.json"  # in <core dir>/m0nn/
TOOL_SCONS = "tool-scons"  # in <core dir>/m0nn/: the package built from PyPI's scons, linked into PlatformIO's packages
TOOL_SCONS_NOTE = "SCons from PyPI (m0nn offline setup)"  # its package.json's description
OLD_STAMP = "m0nn.json"  # in a platform copy an older m0nn installed


@dataclass(frozen=True)
class Pio:
    """One PlatformIO installation: how to run it, its Python, its core dir."""

    command: tuple[str, ...]
    python: str
    core_dir: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.command, *args], capture_output=True, text=True, check=False)

    def query(self, code: str) -> str:
        """Run Python code in PlatformIO's Python; its stdout."""
        result = subprocess.run([self.python, "-c", code], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SetupError(f"PlatformIO's Python ({self.python}) failed: {result.stderr.strip()}")
        return result.stdout


def _pio_candidates() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    try:
        import platformio  # noqa: F401

        found.append((sys.executable, "-m", "platformio"))
    except ImportError:
        pass
    for name in ("pio", "platformio"):
        path = shutil.which(name)
        if path:
            found.append((path,))
    penv = Path(os.environ.get("PLATFORMIO_CORE_DIR", Path.home() / ".platformio")) / "penv" / "bin" / "pio"
    if penv.is_file():
        found.append((str(penv),))
    return found


def find_pio() -> Pio:
    """The PlatformIO a user's `pio run` most likely is; SetupError when there is none."""
    for command in _pio_candidates():
        result = subprocess.run([*command, "system", "info", "--json-output"], capture_output=True, text=True)
        if result.returncode == 0:
            info = json.loads(result.stdout)
            return Pio(command, info["python_exe"]["value"], Path(info["core_dir"]["value"]))
    raise SetupError("PlatformIO not found: install it (`python3 -m pip install platformio`) or put `pio` on PATH")


def registry_reachable(pio: Pio, timeout: float = 3.0) -> bool:
    """True when a TCP connection to one of PlatformIO's registry hosts opens."""
    import socket

    hosts = json.loads(pio.query("import json, platformio; print(json.dumps(platformio.__registry_mirror_hosts__))"))
    for host in hosts:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def _scons_module() -> Path:
    try:
        import SCons
    except ImportError as exc:
        raise SetupError(
            "this Python has no `scons` to build PlatformIO's tool-scons from: "
            f"{sys.executable} -m pip install scons==4.11.1"
        ) from exc
    return Path(SCons.__file__).parent


def install_tool_scons(pio: Pio) -> str:
    """Install tool-scons from the `scons` module of this Python; return a status line.

    The package is built in <core dir>/m0nn/tool-scons and installed as a link to it (PlatformIO's
    `symlink://`, as the platforms), so what `pio pkg list -g` records as its source is where it
    is. An older m0nn's copy, installed from a temporary folder since gone, is replaced."""
    version, installed, packages_dir = _tool_scons_state(pio)
    if installed and not _gone_copy(Path(installed[0]), installed[1]):
        return "tool-scons: already installed"
    scons = _scons_module()
    if installed:  # an older m0nn's copy, its recorded source a temporary folder since removed
        _uninstall_tool_scons(pio)
    folder = pio.core_dir / "m0nn" / TOOL_SCONS
    _build_tool_scons(folder, scons, version)
    result = pio.run("pkg", "install", "-g", "-t", f"tool-scons=symlink://{folder}")
    if result.returncode != 0:
        raise SetupError(f"installing tool-scons failed:\n{result.stdout}{result.stderr}")
    # PlatformIO looks its core packages up as platformio/tool-scons.
    link = packages_dir / "tool-scons.pio-link"
    data = json.loads(link.read_text())
    data["spec"]["owner"] = "platformio"
    link.write_text(json.dumps(data))
    what = ", replaced an older copy" if installed else ""
    return f"tool-scons: installed {version} from SCons in {scons.parent} (a link to {folder}{what})"


def remove_old_tool_scons(pio: Pio) -> str | None:
    """With the registry reachable: an older m0nn's tool-scons copy (`_gone_copy`) is removed, so
    that PlatformIO installs its own on the next build (it keeps a copy that meets its version);
    a status line, or None when there is none."""
    installed = _tool_scons_state(pio)[1]
    if not installed or not _gone_copy(Path(installed[0]), installed[1]):
        return None
    _uninstall_tool_scons(pio)
    return "tool-scons: removed an older m0nn's copy (PlatformIO installs its own on the next build)"


def _uninstall_tool_scons(pio: Pio) -> None:
    result = pio.run("pkg", "uninstall", "-g", "-t", "tool-scons")
    if result.returncode != 0:
        raise SetupError(f"removing the older tool-scons failed:\n{result.stdout}{result.stderr}")


def _tool_scons_state(pio: Pio) -> tuple[str, list[str] | None, Path]:
    """(the version PlatformIO requires, [folder, recorded source] of the installed tool-scons or
    None, PlatformIO's packages dir)."""
    state = json.loads(
        pio.query(
            "import json\n"
            "from platformio.dependencies import get_core_dependencies\n"
            "from platformio.package.manager.tool import ToolPackageManager\n"
            "from platformio.package.meta import PackageSpec\n"
            "from platformio.project.config import ProjectConfig\n"
            "required = get_core_dependencies()['tool-scons']\n"
            "pkg = ToolPackageManager().get_package(PackageSpec(owner='platformio', name='tool-scons', "
            "requirements=required))\n"
            "print(json.dumps([str(required), [pkg.path, pkg.metadata.spec.uri] if pkg else None,"
            " ProjectConfig.get_instance().get('platformio', 'packages_dir')]))\n"
        )
    )
    return state[0].lstrip("~^="), state[1], Path(state[2])


def _gone_copy(installed: Path, uri: str | None) -> bool:
    """True for an older m0nn's tool-scons: a copy whose recorded source (file://, a temporary
    folder) no longer exists."""
    try:
        manifest = json.loads((installed / "package.json").read_text())
    except (OSError, ValueError):
        return False
    ours = manifest.get("description") == TOOL_SCONS_NOTE
    return ours and bool(uri) and str(uri).startswith("file://") and not Path(str(uri)[len("file://") :]).exists()


def gone_tool_scons(folder: Path, record: str) -> str | None:
    """The recorded source of the tool-scons package in `folder` when it is an older m0nn's
    copy whose source is gone (`_gone_copy`), else None. record: its .piopm's text."""
    try:
        uri = json.loads(record)["spec"]["uri"]
    except (ValueError, KeyError, TypeError):
        return None
    return str(uri) if _gone_copy(folder, uri) else None


def _build_tool_scons(folder: Path, scons: Path, version: str) -> None:
    """A tool-scons package in `folder`: a copy of the SCons package, scons.py that runs it, and
    package.json. Built beside it and renamed into place: never half a package."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tool-scons-") as tmp:
        pkg = Path(tmp) / TOOL_SCONS
        pkg.mkdir()
        shutil.copytree(scons, pkg / "SCons", ignore=shutil.ignore_patterns("__pycache__"))
        (pkg / "scons.py").write_text(
            "import os, sys\n"
            "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
            "from SCons.Script import main\n"
            "main()\n"
        )
        manifest = {"name": "tool-scons", "version": version, "description": TOOL_SCONS_NOTE}
        (pkg / "package.json").write_text(json.dumps(manifest, indent=2))
        if folder.exists():
            shutil.rmtree(folder)
        pkg.rename(folder)


def _installed_platform(pio: Pio, name: str) -> tuple[Path, bool] | None:
    """The folder of the installed platform `name` and whether it is a link (symlink://)."""
    out = pio.query(
        "import json\n"
        "from platformio.package.manager.platform import PlatformPackageManager\n"
        f"pkg = PlatformPackageManager().get_package({name!r})\n"
        "print(json.dumps([pkg.path, bool(pkg.metadata.spec.symlink)] if pkg else None))\n"
    )
    found = json.loads(out)
    return (Path(found[0]), found[1]) if found else None


def platform_current(installed: Path | None, name: str = "m0qemu") -> bool:
    """True when `installed` is this m0nn's platform folder (as `pio-setup` links it), or has
    exactly its files."""
    if installed is None:
        return False
    source = resources.platform_dir(name)
    if installed.resolve() == source.resolve():
        return True
    return installed.is_dir() and resources.tree_sha256(installed) == resources.tree_sha256(source)


def _is_ours(installed: Path) -> bool:
    try:
        manifest = json.loads((installed / "platform.json").read_text())
    except (OSError, ValueError):
        return False
    return (installed / OLD_STAMP).is_file() or "m0nn" in str(manifest.get("title", ""))


def install_platform(pio: Pio, name: str) -> str:
    """Install m0nn's platform `name` as a link to this m0nn's folder of it (PlatformIO's
    `symlink://`: nothing copied, so the installed platform is always this m0nn's files and
    version, and `pio pkg list -g` shows where it lives); an older copy or a link to another
    m0nn is replaced. A platform of that name that is not m0nn's (PlatformIO's own `native`)
    is left alone."""
    source = resources.platform_dir(name)
    found = _installed_platform(pio, name)
    installed, linked = found if found else (None, False)
    if platform_current(installed, name):
        return f"platform {name}: already installed"
    if installed is not None and not _is_ours(installed):
        return f"platform {name}: PlatformIO's own, left alone"
    if installed is not None and not linked:  # an older m0nn's copy: removed; a link is overwritten
        pio.run("pkg", "uninstall", "-g", "-p", name)
    result = pio.run("pkg", "install", "-g", "-p", f"{name}=symlink://{source}")  # named: a path may hold an @
    if result.returncode != 0:
        raise SetupError(f"installing the {name} platform failed:\n{result.stdout}{result.stderr}")
    version = json.loads((source / "platform.json").read_text())["version"]
    what = ", replaced an older one" if installed is not None else ""
    return f"platform {name}: installed {version} (a link to {source}{what})"


def install_m0qemu(pio: Pio) -> str:
    """The m0qemu platform, versioned as m0nn (its platform.json)."""
    return install_platform(pio, "m0qemu")


def write_install_note(pio: Pio) -> str:
    """<core dir>/m0nn/install.json: this m0nn's package folder and Python, for the
    pre-build script when PlatformIO's Python cannot import m0nn itself."""
    note = pio.core_dir / "m0nn" / INSTALL_NOTE
    data = {"version": __version__, "package": str(resources.PACKAGE), "python": sys.executable}
    text = json.dumps(data, indent=2) + "\n"
    if note.is_file() and note.read_text() == text:
        return f"m0nn location for PlatformIO's Python: {note} (current)"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(text)
    return f"m0nn location for PlatformIO's Python: wrote {note}"


def check_debian_tools() -> list[str]:
    """Names of the missing Debian tools (with the packages that provide them)."""
    return [f"{tool} (apt-get install {pkgs})" for tool, pkgs in DEBIAN_TOOLS.items() if shutil.which(tool) is None]


def setup(force_offline: bool = False, pio: Pio | None = None) -> list[str]:
    """Run every step; return one status line per step (warnings start with
    "warning:"). Raises SetupError."""
    pio = pio or find_pio()
    lines = [f"PlatformIO: {' '.join(pio.command)} (core dir {pio.core_dir})"]
    missing = check_debian_tools()
    if missing:
        lines.append(
            "warning: only `native` can build and test here; the m0_qemu environment needs " + "; ".join(missing)
        )
    else:
        lines.append("toolchain: arm-none-eabi-gcc and qemu-system-arm found")
    lines.append(install_m0qemu(pio))
    lines.append(write_install_note(pio))
    if force_offline:  # the registry is not asked: say so, not that it failed
        lines.append("PlatformIO registry not tried (--offline): providing local packages")
    elif registry_reachable(pio):
        lines.append("PlatformIO registry reachable: using PlatformIO's own packages")
        removed = remove_old_tool_scons(pio)
        return [*lines, removed] if removed else lines
    else:
        lines.append("PlatformIO registry unreachable: providing local packages")
    lines.append(install_tool_scons(pio))
    lines.append(install_platform(pio, "native"))
    return lines
