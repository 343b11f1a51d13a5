"""PlatformIO pre-build step: regenerate lib/m0nn/generated/ from models/.

Thin by design: the work is in the m0nn package (python/m0nn/prebuild.py).
Options (platformio.ini): custom_m0nn_models = models/a.onnx, models/b.onnx
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

    selection = env.GetProjectOption("custom_m0nn_models", "")  # noqa: F821
    status = prebuild.run(Path(project_dir), selection)
    if status:
        env.Exit(status)  # noqa: F821
