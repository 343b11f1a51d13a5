"""PlatformIO pre-build step of m0nn (`m0nn init` writes and updates this file).

Thin by design: it finds the m0nn package and hands the build to m0nn.plugin.build,
which regenerates the headers of the models in models/ when they changed and adds
m0nn's C library to the build. PlatformIO's Python finds m0nn (1) installed in it,
(2) through <core dir>/m0nn/install.json, written by `m0nn init` / `m0nn pio-setup`
on this machine, or (3) through the `m0nn` command on PATH. Nothing machine-specific
is kept in the project.

Options (platformio.ini), all optional:
  custom_m0nn_models = models/a.onnx, models/b.onnx   (default: every model in models/)
  custom_m0nn_kernel = b8 | b8w | ref | small           (default b8; b8w: faster, weights take 2x flash;
                                                         small: the least code, MUL32 layers only)
  custom_m0nn_requant = auto | q31 | mul32              (default auto)
  custom_m0nn_min_bits = 10                             (narrowest multiplier auto accepts)
  custom_m0nn_int4 = auto | off | force                 (default auto: layers with weights in [-8, 7] run
                                                         the packed 4-bit kernel, half the weight flash)
  custom_m0nn_fp_gate = m0nn | strict | off             (emulated M0: the zero-FP gate, default m0nn)
  custom_m0nn_input_scale = digits = 0.0625, tilt = 0.000598 zero=-512
      per model (file name): the scale (and zero point) of your raw sensor integers; the
      header then converts int16/int32 raw values to the model input (<name>_input_from_s16)

  custom_m0nn_ram = 16384, custom_m0nn_flash = 262144   (the budget every model must fit;
                                                         default: the board's manifest, else these)
  custom_m0nn_test_models = models/a.onnx               (per environment: the models m0nn's suite,
                                                         test/m0nn/test_models, tests; default: all
                                                         with test vectors)
"""

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys

Import("env")  # noqa: F821 (SCons)


def _load_package(folder):
    spec = importlib.util.spec_from_file_location(
        "m0nn", os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["m0nn"] = module
    spec.loader.exec_module(module)


def _elsewhere(core_dir):
    """(m0nn's package folder, its Python) of an m0nn installed in another Python."""
    try:
        with open(os.path.join(core_dir, "m0nn", "install.json"), encoding="utf-8") as f:
            note = json.load(f)
        if os.path.isfile(os.path.join(note["package"], "__init__.py")):
            return note["package"], note["python"]
    except (OSError, ValueError, KeyError):
        pass
    command = shutil.which("m0nn")
    if command:
        with open(command, encoding="utf-8", errors="replace") as f:
            first = f.readline()
        python = shlex.split(first[2:]) if first.startswith("#!") else []
        if python:
            code = "import os, sys, m0nn; print(os.path.dirname(m0nn.__file__)); print(sys.executable)"
            done = subprocess.run([*python, "-c", code], capture_output=True, text=True)
            if done.returncode == 0:
                package, executable = done.stdout.split("\n")[:2]
                return package, executable
    return None, None


def _m0nn_build():
    """m0nn.plugin.build and the Python that generates headers (None: this one)."""
    try:
        from m0nn.plugin import build

        return build, None
    except ImportError:
        sys.modules.pop("m0nn", None)
    package, python = _elsewhere(env.subst("$PROJECT_CORE_DIR"))  # noqa: F821
    if package:
        try:
            _load_package(package)
            from m0nn.plugin import build

            return build, python
        except Exception as exc:  # an m0nn that does not load in this Python: say which
            sys.stderr.write(f"m0nn: error: cannot load m0nn from {package} in {sys.executable}: {exc}\n")
            env.Exit(1)  # noqa: F821
    sys.stderr.write(
        f"m0nn: error: PlatformIO's Python ({sys.executable}) cannot find m0nn: run `m0nn pio-setup` "
        f"where m0nn is installed, or install it here: {sys.executable} -m pip install m0nn\n"
    )
    env.Exit(1)  # noqa: F821


_build, _python = _m0nn_build()
_build.configure(env, python=_python)  # noqa: F821
