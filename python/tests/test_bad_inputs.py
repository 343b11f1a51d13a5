"""The bad-input corpus (bad_inputs.py) through `m0nn gen` and the pre-build:
every item ends in headers that compile, or in one line naming the file and the
problem, exit status 1, no traceback, no warning, and the output folder exactly
as it was (other models' headers included)."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import CASES_MIN, Case, all_cases, mlp, write_test_data
from conftest import ROOT

from m0nn import prebuild
from m0nn.cli import main as cli
from m0nn.generate import generate
from m0nn.names import path_text

CASES = all_cases()
# The pre-build runs a representative part (every third item, every name, test-data
# and external-data item): it shares the generator, and runs it over all models at once.
# ("directory": the pre-build looks for model files only.)
PREBUILD = [
    c
    for i, c in enumerate(CASES)
    if (i % 3 == 0 or c.id.startswith(("name_", "data_", "external_"))) and c.id != "directory"
]


def test_corpus_size() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= CASES_MIN, len(CASES)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


@pytest.fixture(scope="module")
def keep_headers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Headers of another model already in the output folder (they must survive every failure)."""
    d = tmp_path_factory.mktemp("keep")
    model = mlp((6, 4, 2), seed=9).save(d / "keep.onnx")
    write_test_data(d / "keep.test.npz")
    generate(model, d / "out")
    return d / "out"


def _compiles(header: Path) -> str:
    """The header compiled with the project's strict flags (trigraphs on); returns the
    preprocessed text (comments gone) so a test can look for injected code."""
    src = header.with_suffix(".c")
    src.write_text(f'#include "{header.name}"\n')
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-Wcomment", "-trigraphs", "-Wno-unused-const-variable",
           "-Wno-unused-function", f"-I{ROOT / 'lib' / 'm0nn' / 'include'}", f"-I{header.parent}"]  # fmt: skip
    result = subprocess.run([*cmd, "-fsyntax-only", str(src)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[:2000]
    pre = subprocess.run([*cmd, "-E", "-P", str(src)], capture_output=True, text=True, check=True).stdout
    src.unlink()
    return pre


def _check_outcome(case: Case, rc: int, err: str, model: Path, before: dict[str, bytes], out: Path) -> None:
    assert "Traceback" not in err
    after = _snapshot(out)
    assert not [n for n in after if n.startswith(".")], "temporary files left"
    if case.expect == "ok" or (case.expect is None and rc == 0):
        assert rc == 0, err
        new = sorted(set(after) - set(before))
        assert new and all(n.endswith(".h") for n in new), new
        assert {n: b for n, b in after.items() if n in before} == before
        for name in new:
            if not name.endswith("_test.h"):
                pre = _compiles(out / name)
                assert "injected" not in pre
        return
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert path_text(model.name) in lines[0] or path_text(model.stem) in lines[0], lines[0]
    if case.expect:
        assert case.expect in lines[0], lines[0]
    assert after == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gen(case: Case, tmp_path: Path, keep_headers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models, out = tmp_path / "models", tmp_path / "out"
    models.mkdir()
    shutil.copytree(keep_headers, out)
    model = case.build(models)
    before = _snapshot(out)
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc = cli(["gen", str(model), "-o", str(out)])
    captured = capsys.readouterr()
    assert not [str(w.message) for w in caught if issubclass(w.category, (RuntimeWarning, UserWarning))]
    _check_outcome(case, rc, captured.err, model, before, out)


@pytest.mark.parametrize("case", PREBUILD, ids=[c.id for c in PREBUILD])
def test_prebuild(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a second model that changed too: the run writes both or neither."""
    proj = tmp_path / "proj"
    models, out = proj / "models", proj / "lib" / "m0nn" / "generated"
    models.mkdir(parents=True)
    mlp((6, 4, 2), seed=9).save(models / "keep.onnx")
    assert prebuild.run(proj) == 0
    mlp((6, 4, 2), seed=10).save(models / "keep.onnx")  # retrained: stale as well
    model = case.build(models)
    before = _snapshot(out)
    capsys.readouterr()
    rc = prebuild.run(proj)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if rc == 0:
        assert case.expect in ("ok", None), err
        assert _snapshot(out)["keep.h"] != before["keep.h"]
        assert prebuild.run(proj) == 0
        assert "up to date" in capsys.readouterr().out  # no rebuild loop (names with spaces, external data)
    else:
        assert case.expect != "ok", err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("m0nn: error: "), err
        assert path_text(model.name) in lines[0] or path_text(model.stem) in lines[0], lines[0]
        if case.expect:
            assert case.expect in lines[0], lines[0]
        assert _snapshot(out) == before
