"""Where the files m0nn hands to PlatformIO live: in an installed wheel under
m0nn/pio/ (copied there by setup.py at build time), in an editable install in the
repository itself (lib/m0nn, test/, extra_scripts/: the one copy of each).

Standard library only: PlatformIO's Python imports this on every build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
PIO = PACKAGE / "pio"
# The test harness a project's test/m0nn/ holds, and the runner in its test/ (PlatformIO
# loads test/test_custom_runner.py for every `custom` environment, `pio run` included).
# Copies, checked on every test build.
HARNESS = ("m0nn_unit.c", "m0nn_unit.h", "model_test_body.h", "graph_model_test_body.h")
RUNNER = "test_custom_runner.py"
SHIM = "m0nn_prebuild.py"


def source_checkout() -> Path | None:
    """The source checkout of an editable install (python/m0nn -> the repository); None for a wheel."""
    root = PACKAGE.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "lib" / "m0nn" / "library.json").is_file():
        return root
    return None


def _base(packaged: str, in_repository: str) -> Path:
    if (PIO / packaged).exists():
        return PIO / packaged
    root = source_checkout()
    if root is None:
        raise FileNotFoundError(f"m0nn's data folder {PIO / packaged} is missing: reinstall m0nn")
    return root / in_repository


def lib_storage() -> Path:
    """A PlatformIO library storage folder holding the C library as m0nn/."""
    return _base("lib", "lib")


def c_library() -> Path:
    """The C library itself (include/, src/, library.json): what `m0nn bench`, `report`,
    `bench-conv` and `fuzz` compile."""
    return lib_storage() / "m0nn"


def harness_dir() -> Path:
    """The folder of the test harness files (HARNESS)."""
    return _base("test", "test")


def fuzz_drivers() -> Path:
    """The folder of `m0nn fuzz`'s C drivers (fuzz_driver.c on the host, fuzz_m0.c on the M0)."""
    return harness_dir() / "fuzz"


def shim() -> Path:
    """The pre-build script a project's platformio.ini names."""
    return _base("extra_scripts", "extra_scripts") / SHIM


def platform_dir(name: str) -> Path:
    return PIO / "platforms" / name


def tree_sha256(folder: Path) -> str:
    """One digest over every file's relative path and bytes (caches left out)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()
