"""What the pre-build script (extra_scripts/m0nn_prebuild.py) does inside PlatformIO.

Runs in PlatformIO's Python on every build, so it imports only the standard library
and m0nn's standard-library modules: the no-change path stays a few milliseconds.

- The C library: a project that carries it (lib/m0nn/library.json, as m0nn's own
  repository does) uses its copy and gets headers in lib/m0nn/generated; any other
  project gets the installed package's library storage added to the build (found by
  PlatformIO's dependency finder through `#include "m0nn.h"`) and its headers in
  lib/m0nn_models/, a header-only library the dependency finder picks up from
  `#include "<model>.h"`. No path to the installed package is written anywhere.
- The headers: regenerated when a model changed (m0nn.prebuild). When m0nn was found
  outside PlatformIO's Python, generation runs in m0nn's own Python (`m0nn prebuild`).
- Copies m0nn keeps in the project (this script, test/m0nn/) are compared with the
  installed m0nn's, and so is the m0qemu platform in PlatformIO's core dir: a stale
  one stops the build with the command that updates it. An older m0nn's tool-scons
  (a copy whose recorded source is gone) still builds: one line names `m0nn pio-setup`.
- IDE dumps (IsIntegrationDump) only get the library; they never regenerate. Neither does
  `pio run -t clean` / `-t cleanall`: nothing is checked or said, the clean always runs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from m0nn import __version__, prebuild
from m0nn.budget import Budget
from m0nn.plugin import options, resources, suite_image
from m0nn.settings import SettingError, Settings

MODELS_LIB = prebuild.MODELS_LIB
ALL_TESTS = prebuild.ALL_TESTS  # m0nn_models_test.h: written by m0nn.prebuild, as `m0nn prebuild` writes it
TEST_DIR = "m0nn"  # test/m0nn/: the suites and harness `m0nn init` scaffolds
INPUT_SCALE = "custom_m0nn_input_scale"  # per model: the raw sensor's scale (settings.parse_input_scales)
# The RAM/flash every model must fit (m0nn.budget.Budget): the option, else (in PlatformIO) the board
# manifest's key, passed on as the option's value in the form board_value() writes (the error line names it).
BUDGET = (("custom_m0nn_ram", "upload.maximum_ram_size"), ("custom_m0nn_flash", "upload.maximum_size"))
BOARD_VALUE = re.compile(r"^(\d+) \(board ([^()]+)\)$")


def board_value(size: str, board: str) -> str:
    """A budget option's value taken from board `board`'s manifest: '262144 (board microbit_qemu)'."""
    return f"{size} (board {board})"


FP_GATE = "custom_m0nn_fp_gate"  # the m0qemu builder's zero-FP gate: the modes are its fpgate.MODES


def read_options(option: Callable[[str, str], str]) -> tuple[str, Settings]:
    """(the model selection, the generation settings) from `custom_m0nn_*` options.
    Raises ValueError naming the option."""
    defaults = Settings()
    try:
        min_bits = int(option("custom_m0nn_min_bits", str(defaults.min_bits)))
    except ValueError as exc:
        raise ValueError(f"custom_m0nn_min_bits: {exc}") from exc
    settings = Settings(
        kernel=option("custom_m0nn_kernel", defaults.kernel).strip(),
        requant=option("custom_m0nn_requant", defaults.requant).strip(),
        min_bits=min_bits,
        int4=option("custom_m0nn_int4", defaults.int4).strip(),
    )
    try:
        return option("custom_m0nn_models", ""), settings.check()
    except SettingError as exc:
        raise ValueError(f"{', '.join(f'custom_m0nn_{f}' for f in exc.fields)}: {exc}") from None


def read_budget(option: Callable[[str, str], str]) -> Budget:
    """The RAM and flash every model must fit, from `custom_m0nn_ram` / `custom_m0nn_flash`
    (bytes; an unset one keeps Budget()'s). Raises ValueError naming the option."""
    default = Budget()
    sizes: list[int] = []
    sources: list[str] = []
    for (name, _), size, source in zip(
        BUDGET, (default.ram, default.flash), (default.ram_from, default.flash_from), strict=True
    ):
        text = option(name, "").strip()
        board = BOARD_VALUE.match(text)
        if not text:
            sizes.append(size)
            sources.append(source)
        elif board and int(board.group(1)) > 0:
            sizes.append(int(board.group(1)))
            sources.append(f"board {board.group(2)}")
        elif text.isdigit() and int(text) > 0:
            sizes.append(int(text))
            sources.append(name)
        else:
            raise ValueError(f"{name}: {text!r} is not a byte count (a whole number above 0, e.g. 16384)")
    return Budget(sizes[0], sizes[1], sources[0], sources[1])


def check_fp_gate(option: Callable[[str, str], str]) -> None:
    """ValueError naming `custom_m0nn_fp_gate` for a mode the m0qemu builder does not know:
    checked by every environment's pre-build step, not only when an emulated M0 build links."""
    mode = option(FP_GATE, "").strip()
    if mode:  # most projects leave it unset: the builder's module is read only when it is set
        modes = fp_gate_modes()
        if mode not in modes:
            raise ValueError(f"{FP_GATE}: {mode!r} is not one of {', '.join(modes)}")


def fp_gate_modes() -> tuple[str, ...]:
    """The m0qemu builder's fpgate.MODES: the builder runs in PlatformIO's Python without m0nn,
    so the list lives in its file and is read from there (one source)."""
    import importlib.util

    path = resources.platform_dir("m0qemu") / "builder" / "fpgate.py"
    spec = importlib.util.spec_from_file_location("m0nn_fpgate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.MODES)


def _label(path: Path, project: Path) -> str:
    try:
        return str(path.relative_to(project))
    except ValueError:
        return str(path)


def carries_library(lib_dir: Path) -> bool:
    return (lib_dir / "m0nn" / "library.json").is_file()


def generated_dir(lib_dir: Path) -> Path:
    """Where a project's generated headers go (see the module docstring)."""
    return lib_dir / "m0nn" / "generated" if carries_library(lib_dir) else lib_dir / MODELS_LIB


def command(python: str | None) -> str:
    """How to run m0nn's CLI in the Python that has it."""
    return f"{shlex.quote(python or sys.executable)} -m m0nn"


def stale_copies(project: Path, test_dir: Path, testing: bool) -> list[str]:
    """m0nn's files in the project that differ from this m0nn's."""
    stale = []
    shim = project / "extra_scripts" / resources.SHIM
    if shim.is_file() and shim.read_bytes() != resources.shim().read_bytes():
        stale.append(str(shim.relative_to(project)))
    if testing:
        harness = resources.harness_dir()
        for name in (*resources.HARNESS, resources.RUNNER):
            copy = test_dir / (name if name == resources.RUNNER else f"{TEST_DIR}/{name}")
            if not copy.is_file() or copy.read_bytes() != (harness / name).read_bytes():
                stale.append(str(copy.relative_to(test_dir.parent)))
    return stale


def m0qemu_stale(env: Any) -> bool:
    from m0nn.piosetup import platform_current

    return not platform_current(Path(env.PioPlatform().get_dir()))


def old_tool_scons() -> str | None:
    """The recorded source of the tool-scons running this build when it is an older m0nn's copy
    (m0nn <= 0.2.3 installed it from a temporary folder, since removed; `m0nn pio-setup` replaces
    it), else None. One file read on the no-change path: the package a `pio-setup` links
    (symlink://) has no .piopm, PlatformIO's own records no file://; m0nn.piosetup is imported
    only for one that does."""
    where = getattr(sys.modules.get("SCons"), "__file__", None)  # <package>/SCons/__init__.py
    if not where:
        return None
    folder = Path(where).parent.parent
    try:
        record = (folder / ".piopm").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "file://" not in record:
        return None
    from m0nn.piosetup import gone_tool_scons

    return gone_tool_scons(folder, record)


def regenerate(
    project: Path, env_options: dict[str, str], out_dir: Path, python: str | None, environment: str | None = None
) -> int:
    """The pre-build step of `environment` (its custom_m0nn_* options: env_options); returns an exit status."""
    try:
        options.check_known(env_options, f"[env:{environment}]" if environment else "the options")
        selection, settings = read_options(lambda key, default: env_options.get(key, default))
        budget = read_budget(lambda key, default: env_options.get(key, default))
        check_fp_gate(lambda key, default: env_options.get(key, default))
    except ValueError as exc:
        print(f"m0nn: error: {exc}", file=sys.stderr)
        return 1
    scales = env_options.get(INPUT_SCALE, "")
    if python is None or Path(python) == Path(sys.executable):
        status = prebuild.run(project, selection, out_dir, settings, scales, budget)
    else:
        try:
            models = prebuild.find_models(project, selection)
            per_model = prebuild.model_settings(models, settings, scales)
        except FileNotFoundError as exc:
            print(f"m0nn: error: {exc}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"m0nn: error: {INPUT_SCALE}: {exc}", file=sys.stderr)
            return 1
        if any(prebuild.stale_reason(m, out_dir, per_model[m]) for m in models):
            args = [python, "-m", "m0nn", "prebuild", str(project), "--out", str(out_dir)]
            args += ["--environment", environment] if environment else []
            args += [f"--option={k}={v}" for k, v in sorted(env_options.items())]
            status = subprocess.run(args, check=False).returncode
        else:
            status = prebuild.run(
                project, selection, out_dir, settings, scales, budget
            )  # the no-change path, in process
    return status


def configure(env: Any, python: str | None = None) -> None:
    """Called by extra_scripts/m0nn_prebuild.py with SCons' construction environment."""
    config = env.GetProjectConfig()
    project = Path(env.subst("$PROJECT_DIR"))
    lib_dir = Path(config.get("platformio", "lib_dir"))
    if not carries_library(lib_dir):
        env.Append(LIBSOURCE_DIRS=[str(resources.lib_storage())])
    if env.IsIntegrationDump() or env.GetOption("clean"):
        return  # `pio run -t clean` / `cleanall` (SCons' --clean; PlatformIO runs other targets in a second run)
    testing = env.get("PIOTEST_RUNNING_NAME", "").startswith(TEST_DIR + "/")
    stale = stale_copies(project, Path(config.get("platformio", "test_dir")), testing)
    if stale:
        sys.stderr.write(
            f"m0nn: error: {', '.join(stale)} {'differs' if len(stale) == 1 else 'differ'} from m0nn "
            f"{__version__}'s; update {'it' if len(stale) == 1 else 'them'} with: "
            f"{command(python)} init {shlex.quote(str(project))}\n"
        )
        env.Exit(1)
    if env.get("PIOPLATFORM") == "m0qemu" and m0qemu_stale(env):
        sys.stderr.write(
            f"m0nn: error: the m0qemu platform in PlatformIO's core dir is not m0nn {__version__}'s; "
            f"update it (and m0nn's copies in the project) with: {command(python)} init {shlex.quote(str(project))}\n"
        )
        env.Exit(1)
    gone = old_tool_scons()
    if gone:  # it still builds: a note, once per build, until it is replaced
        sys.stderr.write(
            f"m0nn: note: PlatformIO's tool-scons is an older m0nn's copy, installed from {gone} (since removed); "
            f"replace it with: {command(python)} pio-setup\n"
        )
    out_dir = generated_dir(lib_dir)
    try:  # the options every environment shares, and typos, before anything is written
        options.check_project(config, _label(out_dir, project))
    except ValueError as exc:
        sys.stderr.write(f"m0nn: error: {exc}\n")
        env.Exit(1)
    env_options = options.env_options(config, env["PIOENV"])
    # The RAM/flash every model must fit (read_budget): the options, else the board's manifest.
    board = env.BoardConfig() if env.subst("$BOARD") else None
    for option, key in BUDGET:
        if not env_options.get(option, "").strip() and board and str(board.get(key, "")):
            env_options[option] = board_value(str(board.get(key, "")), env.subst("$BOARD"))
    status = regenerate(project, env_options, out_dir, python, env["PIOENV"])
    if status:
        env.Exit(status)
    try:  # custom_m0nn_test_models checked on every build (a typo fails at once), applied when testing
        models = prebuild.find_models(project, env_options.get("custom_m0nn_models", ""))
        tested, selected = suite_image.tested(project, models, env_options.get(suite_image.OPTION, ""), out_dir)
    except ValueError as exc:
        sys.stderr.write(f"m0nn: error: {exc}\n")
        env.Exit(1)
    if testing:
        if selected:
            env.Append(CPPDEFINES=suite_image.defines(tested))
        budget = read_budget(lambda key, default: env_options.get(key, default))
        if budget.flash_from != Budget().flash_from:  # a real target (the host, native, has no flash limit)
            line = suite_image.overflow(out_dir, tested, budget, selected)
            if line:
                sys.stderr.write(line + "\n")
                env.Exit(1)
    if env.get("PIOPLATFORM") == "m0qemu":  # its builder checks static RAM + these after the link
        env["M0NN_STACK_BOUNDS"] = stack_bounds(out_dir)


def stack_bounds(out_dir: Path) -> dict[str, int]:
    """C name -> the `<NAME>_STACK_SIZE` its header states, for every model header m0nn
    generated in `out_dir` (the m0qemu builder's RAM check keeps those the image links)."""
    bounds = {}
    for header in sorted(out_dir.glob("*.h")) if out_dir.is_dir() else []:
        if header.stem.endswith("_test"):  # test vectors and m0nn_models_test.h: no model of their own
            continue
        with header.open(encoding="utf-8", errors="replace") as f:
            text = f.read(16384)  # the sizes come first, before the model's data
        found = re.search(rf"^#define {re.escape(header.stem.upper())}_STACK_SIZE (\d+)$", text, re.M)
        if found and "Generated by m0nn" in text[:2000]:
            bounds[header.stem] = int(found.group(1))
    return bounds
