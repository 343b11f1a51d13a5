"""m0nn in a user's own PlatformIO project: `m0nn init`, then `pio run` / `pio test`,
with a fresh PlatformIO core dir (offline: `m0nn init` provides what PlatformIO
cannot download), two projects side by side, and bad input for `m0nn init`."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import MODELS, ROOT, needs_arm

from m0nn import __version__
from m0nn.codegen import c_version
from m0nn.plugin import build, init

MAIN_C = """/* The user's firmware: their own code, calling the model m0nn generated. */
#include "digits.h"

int main(void)
{
    static int8_t arena[DIGITS_ARENA_SIZE] M0NN_ALIGN4;
    int8_t input[DIGITS_INPUT_SIZE] = {0};
    int8_t output[DIGITS_OUTPUT_SIZE];
    volatile int32_t ticks = 12345;
    int32_t seconds = ticks % 1000; /* the user's own division: allowed by the default gate */
    return digits_run(input, output, arena) == M0NN_OK && seconds >= 0 ? 0 : 1;
}
"""

MAIN_CPP = r"""// The user's firmware in C++: a fully connected model (digits), a conv model (activity),
// classes with virtual functions, a global with a constructor, and the board's output.
#include "activity.h"
#include "activity_test.h"
#include "digits.h"
#include "digits_test.h"
#include "m0nn.h"
#ifdef M0QEMU
#include "m0qemu.h"
#else
#include <cstdio>
static void m0qemu_puts(const char *s) { std::fputs(s, stdout); }
#endif

namespace {
volatile int32_t seed = -1;
struct Tally {
    int32_t checked;
    Tally() : checked(seed) {} // dynamic initialization: the startup code runs it before main
};
Tally tally;

alignas(4) int8_t arena[DIGITS_ARENA_SIZE > ACTIVITY_ARENA_SIZE ? DIGITS_ARENA_SIZE : ACTIVITY_ARENA_SIZE];

class Model {
  public:
    virtual m0nn_status_t run(const int8_t *in, int8_t *out) const = 0;
};
class Digits : public Model {
    m0nn_status_t run(const int8_t *in, int8_t *out) const override { return digits_run(in, out, arena); }
};
class Activity : public Model {
    m0nn_status_t run(const int8_t *in, int8_t *out) const override { return activity_run(in, out, arena); }
};

bool same(const Model &m, const int8_t *inputs, const int8_t *expected, int32_t n_in, int32_t n_out)
{
    int8_t out[16];
    for (int32_t t = 0; t < 20; ++t) {
        if (m.run(inputs + t * n_in, out) != M0NN_OK) {
            return false;
        }
        for (int32_t k = 0; k < n_out; ++k) {
            if (out[k] != expected[t * n_out + k]) {
                return false;
            }
        }
        ++tally.checked;
    }
    return true;
}
} // namespace

int main()
{
    if (tally.checked != -1) {
        m0qemu_puts("c++ firmware: the global's constructor did not run\n");
        return 2;
    }
    tally.checked = 0;
    const Digits digits;
    const Activity activity;
    const bool ok =
        same(digits, digits_test_inputs[0], digits_test_expected[0], DIGITS_INPUT_SIZE, DIGITS_OUTPUT_SIZE) &&
        same(activity, activity_test_inputs[0], activity_test_expected[0], ACTIVITY_INPUT_SIZE, ACTIVITY_OUTPUT_SIZE);
    m0qemu_puts(ok && tally.checked == 40 ? "c++ firmware: 40 of 40 outputs equal the reference\n"
                                          : "c++ firmware: FAILED\n");
    return ok ? 0 : 1;
}
"""


def run(*args: str, cwd: Path, core: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core), PLATFORMIO_DISABLE_PROGRESSBAR="true")
    return subprocess.run([*args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def pio(*args: str, cwd: Path, core: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "platformio", *args, cwd=cwd, core=core)


def m0nn(*args: str, cwd: Path, core: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "m0nn", *args, cwd=cwd, core=core)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return log


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file's digest and modification time (build output left out)."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".pio" not in p.relative_to(folder).parts
    }


def user_project(folder: Path, core: Path) -> Path:
    folder.mkdir(parents=True)
    ok(pio("project", "init", cwd=folder, core=core))
    (folder / "src" / "main.c").write_text(MAIN_C)
    (folder / "models").mkdir()
    for name in ("digits.onnx", "digits.test.npz"):
        shutil.copy(MODELS / name, folder / "models" / name)
    return folder


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh PlatformIO core dir: nothing installed until `m0nn init` runs."""
    return tmp_path_factory.mktemp("pio-core")


@needs_arm
def test_whole_flow_in_a_new_project(tmp_path: Path, core: Path) -> None:
    proj = user_project(tmp_path / "firmware", core)
    # a second model: its suite reads its own trace, not digits'; a graph (conv) model, through graph_model_test_body.h
    for name in ("tilt.onnx", "tilt.test.npz", "activity.onnx", "activity.test.npz"):
        shutil.copy(MODELS / name, proj / "models" / name)
    first = ok(m0nn("init", cwd=proj, core=core))
    assert "platform m0qemu: installed" in first and "[env:m0_qemu]: added" in first, first
    ini = (proj / "platformio.ini").read_text()
    assert str(ROOT) not in ini and str(core) not in ini and "site-packages" not in ini  # nothing machine-specific
    before = snapshot(proj)
    second = ok(m0nn("init", cwd=proj, core=core))
    assert "nothing to change" in second and snapshot(proj) == before, second

    log = ok(pio("run", "-e", "native", cwd=proj, core=core))
    assert "m0nn: regenerating models/digits.onnx (headers missing)" in log, log
    assert (proj / "lib" / "m0nn_models" / "digits.h").stat().st_mode & 0o777 == 0o666 & ~_umask()
    log = ok(pio("run", "-e", "m0_qemu", cwd=proj, core=core))
    assert "m0nn: 3 model(s) up to date" in log and "the project's own code links __aeabi_idivmod" in log, log
    for env in ("native", "m0_qemu"):
        log = ok(pio("test", "-e", env, cwd=proj, core=core))
        assert "12 test cases: 12 succeeded" in log and "test_digits_every_output_equals_the_reference" in log, log
        assert "test_tilt_layers_equal_the_reference\t[PASSED]" in log, log
        assert "test_activity_operators_equal_the_reference\t[PASSED]" in log, log

    # A changed model: an IDE's metadata dump leaves the headers alone, compiledb regenerates them.
    headers = snapshot(proj / "lib" / "m0nn_models")
    import numpy as np

    data = np.load(MODELS / "digits.test.npz")
    np.savez(proj / "models" / "digits.test.npz", x=data["x"][:10], y=data["y"][:10])
    log = ok(pio("project", "metadata", "-e", "native", "--json-output", cwd=proj, core=core))
    assert "regenerating" not in log and snapshot(proj / "lib" / "m0nn_models") == headers, log
    log = ok(pio("run", "-e", "native", "-t", "compiledb", cwd=proj, core=core))
    assert "m0nn: regenerating models/digits.onnx (test data changed)" in log, log
    assert "src/main.c" in (proj / "compile_commands.json").read_text()
    assert "#define DIGITS_N_TESTS 10\n" in (proj / "lib" / "m0nn_models" / "digits_test.h").read_text()


@needs_arm
def test_two_projects_keep_their_own_settings(tmp_path: Path, core: Path) -> None:
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    a = user_project(tmp_path / "a", core)
    b = user_project(tmp_path / "b", core)
    for proj, kernel in ((a, "b8"), (b, "b8w")):
        ok(m0nn("init", "--no-setup", cwd=proj, core=core))
        ini = proj / "platformio.ini"
        ini.write_text(ini.read_text().replace("[env]\n", f"[env]\ncustom_m0nn_kernel = {kernel}\n", 1))
    ok(pio("run", "-e", "m0_qemu", cwd=a, core=core))
    a_files = snapshot(a)
    ok(pio("run", "-e", "m0_qemu", cwd=b, core=core))
    assert snapshot(a) == a_files  # b's build touched nothing of a's
    assert "settings: kernel=b8 " in (a / "lib" / "m0nn_models" / "digits.h").read_text()
    assert "settings: kernel=b8w " in (b / "lib" / "m0nn_models" / "digits.h").read_text()
    b_files = snapshot(b)
    log = ok(pio("test", "-e", "m0_qemu", cwd=a, core=core))
    assert "4 test cases: 4 succeeded" in log, log
    assert snapshot(b) == b_files


@needs_arm
def test_cpp_firmware_on_the_host_and_on_qemu(tmp_path: Path, core: Path) -> None:
    """A C++ firmware (src/main.cpp): a fully connected and a conv model with their test headers,
    classes with virtual functions, a global with a constructor, m0qemu_puts; built and run on
    the host and on QEMU, also with the project's -fexceptions (libgcc's unwinder then needs the
    linker script's exception index: 4-byte aligned 8-byte entries between __exidx_start/_end)."""
    proj = user_project(tmp_path / "cpp", core)
    (proj / "src" / "main.c").unlink()
    (proj / "src" / "main.cpp").write_text(MAIN_CPP)
    for name in ("activity.onnx", "activity.test.npz"):
        shutil.copy(MODELS / name, proj / "models" / name)
    ok(m0nn("init", cwd=proj, core=core))
    ini = proj / "platformio.ini"
    ini.write_text(ini.read_text() + "\n[env:m0_qemu_exceptions]\nextends = env:m0_qemu\nbuild_flags = -fexceptions\n")
    said = "c++ firmware: 40 of 40 outputs equal the reference"
    ok(pio("run", "-e", "native", cwd=proj, core=core))
    assert said in ok(run(str(proj / ".pio" / "build" / "native" / "program"), cwd=proj, core=core))
    for env in ("m0_qemu", "m0_qemu_exceptions"):
        log = ok(pio("run", "-e", env, "-t", "upload", cwd=proj, core=core))
        assert said in log, log
        nm = ok(run("arm-none-eabi-nm", str(proj / ".pio" / "build" / env / "program.elf"), cwd=proj, core=core))
        at = {line.split()[2]: int(line.split()[0], 16) for line in nm.splitlines() if len(line.split()) == 3}
        assert at["__init_array_end"] - at["__init_array_start"] == 4, at  # Tally's constructor
        exidx = at["__exidx_end"] - at["__exidx_start"]
        assert at["__exidx_start"] % 4 == 0 and exidx % 8 == 0, at
        assert (exidx > 0) == (env == "m0_qemu_exceptions"), at  # m0qemu builds C++ with -fno-exceptions


def readme_own_m0qemu_env() -> str:
    """The README's platformio.ini block for an environment of your own on the m0qemu platform."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```ini\n[env:microbit_bare]\n") + len("```ini\n")
    return readme[start : readme.index("```", start)]


@needs_arm
def test_project_path_with_spaces(tmp_path: Path) -> None:
    """A project folder, PlatformIO's core dir and the m0qemu platform's folder (m0nn's
    installation) named with spaces, a comma and non-ASCII letters: build, run on QEMU
    (`-t upload`), `pio test` on m0_qemu and on the README's own m0qemu environment; nothing
    is written outside the project (the linker once wrote its map file to `<parent>/my`)."""
    from m0nn.plugin import resources

    core = tmp_path / "pio core, ü"
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    platform = tmp_path / "site packages, ü@1" / "m0qemu"  # a copy: its files are m0nn's, so it stays
    shutil.copytree(resources.platform_dir("m0qemu"), platform, ignore=shutil.ignore_patterns("__pycache__"))
    ok(pio("pkg", "install", "-g", "-p", f"m0qemu=symlink://{platform}", cwd=tmp_path, core=core))
    proj = user_project(tmp_path / "my proj, ü", core)
    ok(m0nn("init", cwd=proj, core=core))  # keeps that link: the same files as m0nn's
    outside = sorted(p.name for p in tmp_path.iterdir())
    ini = proj / "platformio.ini"
    recipe = readme_own_m0qemu_env()
    assert recipe.splitlines()[-1] == "test_ignore ="
    without_ignore = recipe.replace("[env:microbit_bare]", "[env:bare_no_ignore]").rsplit("test_ignore =", 1)[0]
    ini.write_text(ini.read_text() + "\n" + recipe + "\n" + without_ignore)

    log = ok(pio("run", "-v", "-e", "m0_qemu", cwd=proj, core=core))
    assert f"PLATFORM: Cortex-M0 on QEMU (m0nn) ({__version__})" in log, log
    assert f'-T "{platform}/ldscripts/microbit.ld"' in log, log  # the linked copy is the one built with
    assert (proj / ".pio" / "build" / "m0_qemu" / "program.map").stat().st_size > 0
    log = ok(pio("run", "-e", "m0_qemu", "-t", "upload", cwd=proj, core=core))
    assert "Running .pio/build/m0_qemu/program.elf on QEMU" in log, log
    for env in ("m0_qemu", "microbit_bare"):
        log = ok(pio("test", "-e", env, cwd=proj, core=core))
        assert "4 test cases: 4 succeeded" in log, log
    # The README's test_ignore line is what makes the suite run there.
    log = pio("test", "-e", "bare_no_ignore", cwd=proj, core=core)
    assert "m0nn/test_models" not in log.stdout + log.stderr, log.stdout + log.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == outside


def test_no_test_vectors_is_said(tmp_path: Path, core: Path) -> None:
    """`pio test` where no model has test vectors: one line says so; PlatformIO's SKIPPED, exit 0."""
    proj = user_project(tmp_path / "p", core)
    (proj / "models" / "digits.test.npz").unlink()
    ok(m0nn("init", cwd=proj, core=core))
    log = ok(pio("test", "-e", "native", cwd=proj, core=core))
    assert "m0nn: no model in models/ has test vectors" in log and "[SKIPPED]" in log, log


def test_pio_setup_replaces_an_older_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A core dir holding an older m0nn's m0qemu copy (same files, an older version, installed
    from a temp dir): `pio-setup` installs a link to this m0nn's folder, which carries this version."""
    import json

    from m0nn import piosetup
    from m0nn.plugin import resources

    core = tmp_path / "core"
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(core))
    old = tmp_path / "old" / "m0qemu"
    shutil.copytree(resources.platform_dir("m0qemu"), old, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = json.loads((old / "platform.json").read_text())
    (old / "platform.json").write_text(json.dumps({**manifest, "version": "0.0.1"}))
    stamp = {"m0nn": "0.0.1", "sha256": resources.tree_sha256(resources.platform_dir("m0qemu"))}
    (old / "m0nn.json").write_text(json.dumps(stamp))  # what m0nn up to 0.2.2 wrote
    ok(pio("pkg", "install", "-g", "-p", f"file://{old}", cwd=tmp_path, core=core))
    shutil.rmtree(old.parent)

    line = piosetup.install_m0qemu(piosetup.find_pio())
    assert line.startswith(f"platform m0qemu: installed {__version__} (a link to "), line
    listing = ok(pio("pkg", "list", "-g", cwd=tmp_path, core=core))
    source = resources.platform_dir("m0qemu")
    assert f"m0qemu @ {__version__} (required: symlink://{source})" in listing, listing
    assert piosetup.install_m0qemu(piosetup.find_pio()) == "platform m0qemu: already installed"
    assert (source / "platform.json").is_file()  # the link's target is m0nn's own folder, untouched


def install_old_tool_scons(tmp_path: Path, core: Path) -> Path:
    """tool-scons as m0nn up to 0.2.3 installed it (piosetup.install_tool_scons before ddc0bcb): a
    package built in a temporary folder from this Python's SCons, installed from it (file://), its
    record's owner set to platformio, the folder then removed. Returns the package's (gone) folder."""
    import json

    import SCons
    from platformio.dependencies import get_core_dependencies

    version = str(get_core_dependencies()["tool-scons"]).lstrip("~^=")
    old = tmp_path / "tmpabc123" / "tool-scons"  # what m0nn up to 0.2.3 installed, from a temporary folder
    shutil.copytree(Path(SCons.__file__).parent, old / "SCons", ignore=shutil.ignore_patterns("__pycache__"))
    (old / "scons.py").write_text(
        "import os, sys\n"
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
        "from SCons.Script import main\n"
        "main()\n"
    )
    manifest = {"name": "tool-scons", "version": version, "description": "SCons from PyPI (m0nn offline setup)"}
    (old / "package.json").write_text(json.dumps(manifest, indent=2))
    ok(pio("pkg", "install", "-g", "-t", f"file://{old}", cwd=tmp_path, core=core))
    piopm = core / "packages" / "tool-scons" / ".piopm"
    data = json.loads(piopm.read_text())
    data["spec"]["owner"] = "platformio"
    piopm.write_text(json.dumps(data))
    shutil.rmtree(old.parent)
    return old


def test_pio_setup_records_where_tool_scons_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline, `pio-setup` builds tool-scons in <core dir>/m0nn/tool-scons and installs a link to it:
    `pio pkg list -g` names that folder, which is there (an older m0nn's copy named the temporary folder
    it was built in, since removed: it is replaced), and PlatformIO finds it as platformio/tool-scons."""
    from platformio.dependencies import get_core_dependencies

    from m0nn import piosetup

    core = tmp_path / "core"
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(core))
    version = str(get_core_dependencies()["tool-scons"]).lstrip("~^=")
    install_old_tool_scons(tmp_path, core)

    folder = core / "m0nn" / "tool-scons"
    line = piosetup.install_tool_scons(piosetup.find_pio())
    assert line.endswith(f"(a link to {folder}, replaced an older copy)"), line
    listing = ok(pio("pkg", "list", "-g", cwd=tmp_path, core=core))
    assert f"tool-scons @ {version} (required: symlink://{folder})" in listing, listing
    assert "file://" not in listing and (folder / "scons.py").is_file() and (folder / "SCons").is_dir()
    assert piosetup.install_tool_scons(piosetup.find_pio()) == "tool-scons: already installed"


def test_pio_setup_with_the_registry_removes_an_older_tool_scons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the registry reachable, `pio-setup` provides nothing of PlatformIO's, but an older m0nn's
    tool-scons copy is removed (PlatformIO would keep it: it meets the version), so that PlatformIO
    installs its own and the build's line about it stops; nothing else of PlatformIO's is touched."""
    from m0nn import piosetup

    core = tmp_path / "core"
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(core))
    monkeypatch.setattr(piosetup, "registry_reachable", lambda pio: True)
    install_old_tool_scons(tmp_path, core)
    lines = piosetup.setup()
    assert lines[-2:] == [
        "PlatformIO registry reachable: using PlatformIO's own packages",
        "tool-scons: removed an older m0nn's copy (PlatformIO installs its own on the next build)",
    ], lines
    assert "tool-scons" not in ok(pio("pkg", "list", "-g", cwd=tmp_path, core=core))
    assert piosetup.setup()[-1] == "PlatformIO registry reachable: using PlatformIO's own packages"


def test_build_names_pio_setup_for_an_older_tool_scons(tmp_path: Path) -> None:
    """After an upgrade from m0nn <= 0.2.3, PlatformIO's tool-scons is still the copy that m0nn installed
    from a temporary folder since removed, until `m0nn pio-setup` (or `m0nn init`) replaces it. It still
    builds; each build says so in one line naming the command; after the command, no line."""
    core = tmp_path / "core"  # fresh: nothing but what `m0nn init` and the old install put there
    proj = user_project(tmp_path / "firmware", core)
    ok(m0nn("init", cwd=proj, core=core))
    ok(pio("pkg", "uninstall", "-g", "-t", "tool-scons", cwd=proj, core=core))  # the link 0.2.4 installs
    gone = install_old_tool_scons(tmp_path, core)
    for _ in range(2):  # a changed model and the no-change path alike
        log = ok(pio("run", "-e", "native", cwd=proj, core=core))
        lines = [line for line in log.splitlines() if "tool-scons" in line]
        assert lines == [
            f"m0nn: note: PlatformIO's tool-scons is an older m0nn's copy, installed from file://{gone} "
            f"(since removed); replace it with: {sys.executable} -m m0nn pio-setup"
        ], log
    assert "replaced an older copy" in ok(m0nn("pio-setup", cwd=proj, core=core))
    log = ok(pio("run", "-e", "native", cwd=proj, core=core))
    assert "tool-scons" not in log and "m0nn: 1 model(s) up to date" in log, log


def test_gone_models_and_project_options_through_platformio(tmp_path: Path, core: Path) -> None:
    """In a new project (`pio project init`, `m0nn init`), through `pio run`: a deleted model's
    headers are removed with one line and src/main.c including one fails naming it; an option
    the headers record set in one environment only, or misspelled, stops the build of every
    environment with one line; an out-of-date copy of the pre-build script is one file that differs."""
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    proj = user_project(tmp_path / "firmware", core)
    for name in ("tilt.onnx", "tilt.test.npz"):
        shutil.copy(MODELS / name, proj / "models" / name)
    ok(m0nn("init", "--no-setup", cwd=proj, core=core))
    ok(pio("run", "-e", "native", cwd=proj, core=core))
    out = proj / "lib" / "m0nn_models"
    assert sorted(p.name for p in out.iterdir()) == [
        "digits.h", "digits_test.h", "m0nn_models_test.h", "tilt.h", "tilt_test.h"
    ]  # fmt: skip

    (proj / "models" / "digits.onnx").unlink()
    gone = pio("run", "-e", "native", cwd=proj, core=core)
    log = gone.stdout + gone.stderr
    assert gone.returncode != 0
    assert "m0nn: removed lib/m0nn_models/digits.h, digits_test.h (models/digits.onnx is gone)" in log, log
    assert "digits.h: No such file or directory" in log, log  # src/main.c includes it: the compiler names it
    assert sorted(p.name for p in out.iterdir()) == ["m0nn_models_test.h", "tilt.h", "tilt_test.h"]
    (proj / "src" / "main.c").write_text(MAIN_C.replace("digits", "tilt").replace("DIGITS", "TILT"))
    assert "m0nn: 1 model(s) up to date" in ok(pio("run", "-e", "native", cwd=proj, core=core))

    ini = proj / "platformio.ini"
    text = ini.read_text()
    for edited, line in (
        (
            text.replace("[env:m0_qemu]\n", "[env:m0_qemu]\ncustom_m0nn_kernel = b8w\n", 1),
            "m0nn: error: custom_m0nn_kernel is 'b8w' in [env:m0_qemu] but not set (default 'b8') in [env:native]; "
            "every environment shares the model headers (lib/m0nn_models): set it once in [env]",
        ),
        (
            text.replace("[env]\n", "[env]\ncustom_m0nn_kernal = b8w\n", 1),
            "m0nn: error: unknown option custom_m0nn_kernal in [env] (did you mean custom_m0nn_kernel?); m0nn knows ",
        ),
    ):
        ini.write_text(edited)
        before = snapshot(out)
        for env in ("native", "m0_qemu"):
            result = pio("run", "-e", env, cwd=proj, core=core)
            errors = [x for x in (result.stdout + result.stderr).splitlines() if x.startswith("m0nn: error")]
            assert result.returncode != 0 and len(errors) == 1 and errors[0].startswith(line), errors
        assert snapshot(out) == before
    ini.write_text(text.replace("[env]\n", "[env]\ncustom_m0nn_kernel = b8w\n", 1))
    assert "settings changed: kernel=b8 " in ok(pio("run", "-e", "native", cwd=proj, core=core))
    assert "m0nn: 1 model(s) up to date" in ok(pio("run", "-e", "native", cwd=proj, core=core))
    # `m0nn prebuild` reads the same options (no flip back to the defaults), and -e ENV the board's manifest
    assert "m0nn: 1 model(s) up to date" in ok(m0nn("prebuild", cwd=proj, core=core))
    board = "[env:m0_qemu]\nboard_upload.maximum_ram_size = 300\n"
    ini.write_text(ini.read_text().replace("[env:m0_qemu]\n", board, 1))
    small = m0nn("prebuild", "-e", "m0_qemu", cwd=proj, core=core)
    assert small.returncode == 1 and "the target has 300 (board microbit_qemu)" in small.stderr, small.stderr
    assert "m0nn: 1 model(s) up to date" in ok(m0nn("prebuild", "-e", "native", cwd=proj, core=core))

    shim = proj / "extra_scripts" / "m0nn_prebuild.py"
    shim.write_text(shim.read_text() + "\n")
    stale = pio("run", "-e", "native", cwd=proj, core=core)
    assert stale.returncode != 0
    assert f"m0nn: error: extra_scripts/m0nn_prebuild.py differs from m0nn {__version__}'s; update it with: " in (
        stale.stdout + stale.stderr
    )


def test_prebuild_command_writes_what_the_build_writes(tmp_path: Path, core: Path) -> None:
    """`m0nn prebuild` and the pre-build step of `pio run` write the same files, byte for byte
    (m0nn_models_test.h, the suite's aggregate, included): headers committed from either are
    what the other would write."""
    ok(m0nn("pio-setup", cwd=tmp_path, core=core))
    built = user_project(tmp_path / "built", core)
    shutil.copy(MODELS / "tilt.onnx", built / "models" / "tilt.onnx")  # no test vectors: not in the aggregate
    ok(m0nn("init", "--no-setup", cwd=built, core=core))
    commanded = tmp_path / "commanded"
    shutil.copytree(built, commanded)
    ok(pio("run", "-e", "native", cwd=built, core=core))
    ok(m0nn("prebuild", cwd=commanded, core=core))

    def headers(project: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((project / "lib" / "m0nn_models").iterdir())}

    assert sorted(headers(built)) == ["digits.h", "digits_test.h", build.ALL_TESTS, "tilt.h"]
    assert headers(commanded) == headers(built)


def test_init_keeps_every_user_line(tmp_path: Path) -> None:
    text = (
        "; my firmware\n"
        "[platformio]\ndefault_envs = uno\n\n"
        "[env]\nbuild_flags = -DMY_FLAG=1  ; mine\nextra_scripts = pre:scripts/version.py\n\n"
        "[env:uno]\nplatform = atmelavr\nboard = uno\nframework = arduino\ntest_framework = unity\n"
        "lib_deps =\n    bblanchon/ArduinoJson @ ^7\nextra_scripts =\n    post:scripts/upload.py\n"
        "test_ignore = test_slow\n\n"
        "[env:native]\nplatform = native\ntest_framework = unity\n"
    )
    edited = init.edit_ini(text)
    new = edited.text().splitlines()
    it = iter(new)
    assert all(line in it for line in text.splitlines()), "a user line was lost or reordered"
    again = init.edit_ini(edited.text())
    assert again.changes == [] and again.text() == edited.text()
    assert edited.get("env", "extra_scripts") == ["pre:scripts/version.py", init.SHIM_VALUE]
    assert edited.get("env:uno", "extra_scripts") == ["post:scripts/upload.py", init.SHIM_VALUE]
    assert edited.get("env:uno", "test_ignore") == ["test_slow", "m0nn/*"]
    assert edited.get("env:uno", "lib_deps") == ["bblanchon/ArduinoJson @ ^7"]
    assert edited.get("env:m0_qemu", "platform") == ["m0qemu"]
    assert "[env:native]" in new and new.count("[env:native]") == 1  # the user's own native is kept as it is
    no_comments = "\n".join(line for line in edited.text().splitlines() if not line.startswith("; m0nn (m0nn init)"))
    assert init.edit_ini(no_comments).changes == []  # m0nn's environments are recognised without their comment


def test_user_unity_environment_does_not_see_the_model_tests(tmp_path: Path) -> None:
    """A project testing with Unity keeps its suites in its own environment; m0nn's run
    only in m0nn's environments (listed, not run: Unity cannot be downloaded here)."""
    (tmp_path / "test" / "test_mine").mkdir(parents=True)
    (tmp_path / "test" / "test_mine" / "test_main.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "platformio.ini").write_text("[env:host]\nplatform = native\n")
    assert init.run(tmp_path, setup=False) == 0
    from platformio.project.config import ProjectConfig
    from platformio.test.helpers import list_test_suites

    config = ProjectConfig(str(tmp_path / "platformio.ini"))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        runs = {(s.env_name, s.test_name) for s in list_test_suites(config, [], [], []) if not s.is_finished()}
    finally:
        os.chdir(cwd)
    assert runs == {("host", "test_mine"), ("native", "m0nn/test_models"), ("m0_qemu", "m0nn/test_models")}
    assert config.get("env:host", "test_framework") == "unity"


def test_readme_says_why_a_new_environment_wants_unity(tmp_path: Path) -> None:
    """What README says of an environment added after `m0nn init`, as PlatformIO's `pio run` decides
    it (platformio.package.commands.install: the env's test framework is installed when test/ has
    suites): one without `test_framework = custom` wants Unity (offline: HTTPClientError), one with
    it nothing; `[env]` stays without it (it would take the user's own Unity suites)."""
    from platformio.project.config import ProjectConfig
    from platformio.test.helpers import list_test_names
    from platformio.test.result import TestSuite
    from platformio.test.runners.factory import TestRunnerFactory

    ini = tmp_path / "platformio.ini"
    ini.write_text("[env:host]\nplatform = native\n")
    assert init.run(tmp_path, setup=False) == 0
    mine = "platform = m0qemu\nboard = microbit_qemu\n"
    ini.write_text(ini.read_text() + f"\n[env:mine]\n{mine}\n[env:mine_custom]\n{mine}test_framework = custom\n")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        config = ProjectConfig(str(ini))
        assert list_test_names(config)  # m0nn init's test/m0nn/test_models: PlatformIO installs frameworks
        deps = {e: TestRunnerFactory.new(TestSuite(e, "*"), config).EXTRA_LIB_DEPS for e in ("mine", "mine_custom")}
    finally:
        os.chdir(cwd)
    assert not config.has_option("env", "test_framework")
    assert not deps["mine_custom"] and len(deps["mine"]) == 1, deps
    readme = " ".join((ROOT / "README.md").read_text().split()).replace(" @ ", "@")  # the log's "Unity @ ^2.6.1"
    said = f"Installing {deps['mine'][0].replace(' ', '')}"
    assert said in readme and "Every environment you add needs `test_framework = custom`" in readme
    assert "HTTPClientError" in readme[readme.index(said) :][:200]


def test_init_tells_every_step_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `m0nn init --no-setup` on a machine without the ARM toolchain: the apt-get line, the
    pio-setup that installs the m0qemu platform, the models to copy and the commands that check them;
    with a model in models/ and the tools present, only the commands."""
    (tmp_path / "platformio.ini").write_text("[env:host]\nplatform = native\n")
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    assert init.run(tmp_path, setup=False) == 0
    steps = [line for line in capsys.readouterr().out.splitlines() if line.startswith("m0nn init: next: ")]
    assert [s.split("   ")[0][len("m0nn init: next: ") :] for s in steps] == [
        "sudo apt-get install -y gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm",
        "m0nn pio-setup",
        "cp mynet.onnx mynet.test.npz models/",
        "pio test -e native && pio test -e m0_qemu",
        "pio run -e m0_qemu",
    ]
    shutil.copy(MODELS / "digits.onnx", tmp_path / "models" / "digits.onnx")
    monkeypatch.setattr(shutil, "which", lambda tool: f"/usr/bin/{tool}")
    envs = init.test_envs(init.Ini.parse((tmp_path / "platformio.ini").read_text()))
    assert init.next_steps(tmp_path, True, envs) == [
        "pio test -e native && pio test -e m0_qemu   (every model against m0nn's integer reference)",
        "pio run -e m0_qemu   (your firmware, a main() in src/, for a Cortex-M0)",
    ]


def test_init_names_the_environments_that_run_the_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The project's own [env:native] does not run m0nn's suite: `next:` names m0_qemu alone;
    an own environment with the README's options is named too, one without `test_ignore =` not."""
    (tmp_path / "platformio.ini").write_text(
        "[env:native]\nplatform = native\n\n"
        + readme_own_m0qemu_env()
        + "\n[env:hidden]\nplatform = m0qemu\ntest_framework = custom\ntest_filter = m0nn/*\n"
    )
    assert init.run(tmp_path, setup=False) == 0
    out = capsys.readouterr().out
    assert "[env:native] is the project's own, left as it is; m0nn's tests do not run there" in out, out
    steps = [line for line in out.splitlines() if line.startswith("m0nn init: next: pio test")]
    assert [s.split("   ")[0] for s in steps] == ["m0nn init: next: pio test -e microbit_bare && pio test -e m0_qemu"]
    no_tests = init.Ini.parse("[env]\ntest_ignore = m0nn/*\n[env:native]\nplatform = native\n")
    steps = init.next_steps(tmp_path, True, init.test_envs(no_tests))
    assert any(step.startswith("no environment runs m0nn's tests: ") for step in steps), steps


@pytest.mark.parametrize("case", ["no project", "read-only", "syntax error"])
def test_init_refuses_bad_input(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    if case != "no project":
        (proj / "platformio.ini").write_text(
            "[env:x]\nplatform = native\n" if case == "read-only" else "[env:x\nplatform = native\n"
        )
    if case == "read-only":
        (proj / "platformio.ini").chmod(0o444)
    before = snapshot(proj)
    assert init.run(proj) == 1
    err = capsys.readouterr()
    assert err.out == "" and len(err.err.strip().splitlines()) == 1, err.err
    expected = {"no project": "not a PlatformIO project", "read-only": "read-only", "syntax error": "platformio.ini"}
    assert err.err.startswith("m0nn init: error: ") and expected[case] in err.err, err.err
    assert snapshot(proj) == before


def test_generation_in_m0nns_own_python(tmp_path: Path) -> None:
    """PlatformIO's Python without numpy/onnx that found m0nn elsewhere: headers are made by
    `m0nn prebuild` in m0nn's Python; the rest, and the no-change path, stay in process."""
    proj = tmp_path / "p"
    (proj / "models").mkdir(parents=True)
    shutil.copy(MODELS / "tilt.onnx", proj / "models" / "tilt.onnx")
    shutil.copy(MODELS / "tilt.test.npz", proj / "models" / "tilt.test.npz")
    exe = Path(sys.executable)
    other = next(p for p in (exe.with_name("python3"), exe.with_name("python")) if p != exe)  # the subprocess route
    out = build.generated_dir(proj / "lib")
    code = (
        "import sys, pathlib\n"
        "sys.modules['numpy'] = sys.modules['onnx'] = None  # as in PlatformIO's own Python\n"
        "from m0nn.plugin import build\n"
        f"status = build.regenerate(pathlib.Path({str(proj)!r}), {{'custom_m0nn_kernel': 'b8w'}}, "
        f"pathlib.Path({str(out)!r}), {str(other)!r})\n"
        "sys.exit(status)\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "settings: kernel=b8w" in (out / "tilt.h").read_text()
    assert "M0NN_RUN_TESTS_OF_TILT();" in (out / build.ALL_TESTS).read_text()
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert again.returncode == 0 and "1 model(s) up to date" in again.stdout, again.stdout + again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_versions_agree() -> None:
    import json
    import re

    header = (ROOT / "lib" / "m0nn" / "include" / "m0nn.h").read_text()
    assert f"#define M0NN_VERSION {c_version()}\n" in header
    assert f'#define M0NN_VERSION_STRING "{__version__}"' in header
    assert json.loads((ROOT / "lib" / "m0nn" / "library.json").read_text())["version"] == __version__
    # the m0qemu platform pio-setup links: PlatformIO shows this version (banner, `pio pkg list -g`)
    platform = ROOT / "python" / "m0nn" / "pio" / "platforms" / "m0qemu" / "platform.json"
    assert json.loads(platform.read_text())["version"] == __version__
    out = subprocess.run([sys.executable, "-m", "m0nn", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"m0nn {__version__}"
    assert re.search(r"#error .*regenerate it: pio run", (ROOT / "lib" / "m0nn" / "generated" / "digits.h").read_text())


def test_generated_header_refuses_another_library_version(tmp_path: Path) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    header = (ROOT / "lib" / "m0nn" / "include" / "m0nn.h").read_text()
    (inc / "m0nn.h").write_text(header.replace(f"#define M0NN_VERSION {c_version()}", "#define M0NN_VERSION 99999"))
    src = tmp_path / "t.c"
    src.write_text('#include "tilt.h"\n')
    gen = ROOT / "lib" / "m0nn" / "generated"
    bad = subprocess.run(["gcc", "-fsyntax-only", f"-I{inc}", f"-I{gen}", str(src)], capture_output=True, text=True)
    assert bad.returncode != 0 and "tilt.h is m0nn" in bad.stderr and "regenerate it: pio run" in bad.stderr
    good = subprocess.run(["gcc", "-fsyntax-only", f"-I{ROOT / 'lib/m0nn/include'}", f"-I{gen}", str(src)])
    assert good.returncode == 0


def test_wheel_carries_the_plugin(tmp_path: Path) -> None:
    """The wheel: C library (without generated headers), harness, runner, pre-build
    script and platforms as package data; no top-level `tests`; SPDX licence."""
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    result = subprocess.run([*pip, "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("m0nn-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "m0nn/pio/lib/m0nn/include/m0nn.h",
        "m0nn/pio/lib/m0nn/library.json",
        "m0nn/pio/lib/m0nn/src/m0nn_fc_s8.c",
        "m0nn/pio/test/m0nn_unit.c",
        "m0nn/pio/test/model_test_body.h",
        "m0nn/pio/test/graph_model_test_body.h",
        "m0nn/pio/test/test_custom_runner.py",
        "m0nn/pio/test/fuzz/fuzz_driver.c",
        "m0nn/pio/test/fuzz/fuzz_m0.c",
        "m0nn/pio/extra_scripts/m0nn_prebuild.py",
        "m0nn/pio/platforms/m0qemu/builder/fpgate.py",
        f"m0nn-{__version__}.dist-info/licenses/LICENSE",
    ):
        assert name in names, name
    assert not [n for n in names if "/generated/" in n or n.startswith("tests/") or "__pycache__" in n]
    metadata = zipfile.ZipFile(wheel).read(f"m0nn-{__version__}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_headers_are_readable_by_all(tmp_path: Path) -> None:
    from m0nn.generate import generate

    for path in generate(MODELS / "tilt.onnx", tmp_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()


def test_pio_setup_warns_when_only_native_can_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ARM toolchain or QEMU (a native-only CI job): a warning, not a failure."""
    from m0nn import piosetup

    monkeypatch.setattr(piosetup, "DEBIAN_TOOLS", {"m0nn-no-such-tool": "m0nn-no-such-package"})
    lines = piosetup.setup()
    warnings = [line for line in lines if line.startswith("warning:")]
    assert warnings == [
        "warning: only `native` can build and test here; the m0_qemu environment needs "
        "m0nn-no-such-tool (apt-get install m0nn-no-such-package)"
    ]


def test_pio_setup_offline_says_the_registry_was_not_tried(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`m0nn pio-setup --offline` never asks the registry, and says so: it printed "PlatformIO
    registry unreachable" without having tried. Without --offline it asks once and says what it found."""
    from m0nn import piosetup
    from m0nn.cli import main as cli

    asked: list[bool] = []

    def reachable(pio: piosetup.Pio) -> bool:
        asked.append(True)
        return False

    monkeypatch.setattr(piosetup, "registry_reachable", reachable)
    assert cli(["pio-setup", "--offline"]) == 0
    out = capsys.readouterr().out
    assert not asked and "m0nn pio-setup: PlatformIO registry not tried (--offline): providing local packages\n" in out
    assert "unreachable" not in out, out
    assert cli(["pio-setup"]) == 0
    out = capsys.readouterr().out
    assert asked == [True] and "m0nn pio-setup: PlatformIO registry unreachable: providing local packages\n" in out
    monkeypatch.setitem(sys.modules, "SCons", None)  # the line for a missing scons holds with --offline too
    with pytest.raises(piosetup.SetupError) as exc:
        piosetup._scons_module()
    assert str(exc.value).startswith("this Python has no `scons` to build PlatformIO's tool-scons from: "), exc.value
