"""Run `m0nn gen`'s headers of one model on the host, as `pio test -e native` does:
lib/m0nn, test/m0nn_unit.c and the shared test body (graph or FC chain), built by gcc."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from m0nn.generate import generate, is_graph_model

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "lib" / "m0nn"

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a host C compiler")


def run_generated_on_host(model: Path, tmp_path: Path) -> str:
    """Generate `model` (with its `<name>.test.npz`), build the model test and run it;
    returns its output (Unity's summary line: "N Tests 0 Failures")."""
    name = model.stem
    gen = tmp_path / "gen"
    written = generate(model, gen)
    assert sorted(p.name for p in written) == [f"{name}.h", f"{name}_test.h"]
    body = "graph_model_test_body.h" if is_graph_model(model) else "model_test_body.h"
    main = tmp_path / "main.c"
    main.write_text(
        f'#include "m0nn.h"\n#include "{name}.h"\n#include "{name}_test.h"\n'
        f"#define M0NN_TEST_MODEL {name}\n#define M0NN_TEST_MODEL_UP {name.upper()}\n"
        f'#include "{body}"\n'
    )
    srcs = [str(p) for p in sorted((LIB / "src").glob("*.c"))] + [str(ROOT / "test" / "m0nn_unit.c"), str(main)]
    exe = tmp_path / f"{name}_test"
    flags = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{LIB / 'include'}", f"-I{LIB / 'src'}"]
    subprocess.run(["gcc", *flags, f"-I{ROOT / 'test'}", f"-I{gen}", *srcs, "-o", str(exe)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout, run.stdout
    return run.stdout
