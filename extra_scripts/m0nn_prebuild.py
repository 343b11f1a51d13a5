"""PlatformIO pre-build step: regenerate lib/m0nn/generated/ from models/.

Thin by design: the work is in the m0nn package (python/m0nn/prebuild.py).
Options (platformio.ini), all optional:
  custom_m0nn_models = models/a.onnx, models/b.onnx   (default: every model in models/)
  custom_m0nn_kernel = b8 | b8w | ref                   (default b8; b8w: faster, weights take 2x flash)
  custom_m0nn_requant = auto | q31 | mul32              (default auto)
  custom_m0nn_min_bits = 10                             (narrowest multiplier auto accepts)
"""

import os
import sys

Import("env")  # noqa: F821 (SCons)

if not env.IsIntegrationDump():  # noqa: F821 - keep IDE project indexing quick
    project_dir = env.subst("$PROJECT_DIR")  # noqa: F821
    try:
        from m0nn import prebuild
    except ImportError:
        # A checkout without `pip install`: the package sits in python/.
        sys.path.insert(0, os.path.join(project_dir, "python"))
        try:
            from m0nn import prebuild
        except ImportError as exc:
            sys.stderr.write(
                f"m0nn: error: the m0nn package is missing from PlatformIO's Python ({sys.executable}): {exc}\n"
                f"  Install it with: {sys.executable} -m pip install -e {project_dir}\n"
            )
            env.Exit(1)  # noqa: F821
    from pathlib import Path

    from m0nn.settings import Settings

    option = env.GetProjectOption  # noqa: F821
    defaults = Settings()
    try:
        settings = Settings(
            kernel=option("custom_m0nn_kernel", defaults.kernel),
            requant=option("custom_m0nn_requant", defaults.requant),
            min_bits=int(option("custom_m0nn_min_bits", str(defaults.min_bits))),
        )
    except ValueError as exc:
        sys.stderr.write(f"m0nn: error: custom_m0nn_min_bits: {exc}\n")
        env.Exit(1)  # noqa: F821
    status = prebuild.run(Path(project_dir), option("custom_m0nn_models", ""), settings=settings)
    if status:
        env.Exit(status)  # noqa: F821
