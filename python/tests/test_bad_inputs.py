"""The bad-input corpus (bad_inputs.py) through `m0nn gen` and the pre-build:
every item ends in headers that compile, or in one line naming the file and the
problem, exit status 1, no traceback, no warning, and the output folder exactly
as it was (other models' headers included)."""

from __future__ import annotations

import re
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
from m0nn.errors import ModelError
from m0nn.generate import generate
from m0nn.names import BSP_HEADERS, c_identifier, path_text
from m0nn.npz import check_vectors
from m0nn.plugin import resources

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
    assert lines[0].startswith(f"m0nn gen: error: {path_text(model)}: "), lines[0]  # the file as the user named it
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
        assert len(lines) == 1, err
        assert lines[0].startswith(f"m0nn: error: models/{path_text(model.name)}: "), lines[0]  # from the project
        assert lines[0].endswith("; no header written for it"), lines[0]  # a new model: it had no headers
        if case.expect:
            assert case.expect in lines[0], lines[0]
        assert _snapshot(out) == before


def test_hostile_producer_and_node_names_stay_in_comments(tmp_path: Path) -> None:
    """`*/`, newlines, trigraphs, backslash-newline, control and non-ASCII characters
    from the model land in comments only: the header compiles (trigraphs on) with
    no `#error` or declaration of the attacker's."""
    g = mlp()
    g.producer = "torch */ #error injected /* ??/\n#define injected 1\\\n \x1b模型"
    for n in g.nodes:
        n.name = f"*/ int injected_{n.name} = 1; /* ??/\n#error injected\\\n{n.name}"
    model = g.save(tmp_path / "hostile.onnx")
    write_test_data(tmp_path / "hostile.test.npz")
    written = generate(model, tmp_path / "out")
    for header in written:
        text = header.read_text(encoding="ascii")  # non-ASCII escaped
        assert "*/ #error injected" not in text and "*/ int injected" not in text and "??/" not in text
        assert not [line for line in text.splitlines() if line.lstrip().startswith(("#error inj", "#define inj"))]
        assert "injected" not in _compiles(header)
    assert "producer: torch *\\x2f #error injected /\\x2a ?\\x3f/\\x0a#define" in written[0].read_text()


def test_name_collisions_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for a, b in (("a-b", "a_b"), ("Net", "net"), ("模型", "u6a21_u578b"), ("9x", "m_9x")):
        proj = tmp_path / a.encode().hex()
        (proj / "models").mkdir(parents=True)
        for stem in (a, b):
            mlp().save(proj / "models" / f"{stem}.onnx")
        assert prebuild.run(proj) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "rename one of them" in err, err
        assert not (proj / "lib").exists()
        # m0nn gen, one model after the other into one folder: the second is refused.
        out = proj / "out"
        assert cli(["gen", str(proj / "models" / f"{a}.onnx"), "-o", str(out)]) == 0
        before = _snapshot(out)
        capsys.readouterr()
        assert cli(["gen", str(proj / "models" / f"{b}.onnx"), "-o", str(out)]) == 1
        err = capsys.readouterr().err.strip()
        assert "was generated from" in err and "refusing to overwrite" in err and len(err.splitlines()) == 1
        assert _snapshot(out) == before


def test_gen_does_not_overwrite_a_file_it_did_not_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = mlp().save(tmp_path / "net.onnx")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "net.h").write_text("/* my own header */\n")
    assert cli(["gen", str(model), "-o", str(tmp_path / "out")]) == 1
    assert "was not written by m0nn" in capsys.readouterr().err
    assert (tmp_path / "out" / "net.h").read_text() == "/* my own header */\n"


def test_test_header_removed_with_its_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    mlp().save(proj / "models" / "net.onnx")
    write_test_data(proj / "models" / "net.test.npz")
    assert prebuild.run(proj) == 0
    (proj / "models" / "net.test.npz").unlink()
    assert prebuild.run(proj) == 0
    assert "m0nn: removed lib/m0nn/generated/net_test.h (models/net.test.npz is gone)\n" in capsys.readouterr().out
    assert sorted(_snapshot(proj / "lib" / "m0nn" / "generated")) == ["net.h"]


def test_external_data_is_hashed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Retrained weights in net.onnx.data (the .onnx itself unchanged) regenerate the headers."""
    from bad_inputs import save_external

    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    model = save_external(mlp(seed=1), proj / "models" / "net.onnx")
    assert prebuild.run(proj) == 0
    header = proj / "lib" / "m0nn" / "generated" / "net.h"
    first = header.read_text()
    assert " * external data: net.onnx.data sha256 " in first
    assert prebuild.run(proj) == 0
    assert "up to date" in capsys.readouterr().out
    onnx_bytes = model.read_bytes()
    save_external(mlp(seed=2), tmp_path / "net.onnx")  # same graph and layout, other weights
    shutil.copy(tmp_path / "net.onnx.data", proj / "models" / "net.onnx.data")
    assert model.read_bytes() == onnx_bytes
    assert prebuild.run(proj) == 0
    assert "(external data net.onnx.data changed)" in capsys.readouterr().out
    assert header.read_text() != first


def _slow_model(folder: Path, seed: int) -> Path:
    """Big enough that generation takes a while (a kill lands mid-way)."""
    model = mlp((64, 256, 256, 10), seed=seed).save(folder / "big.onnx")
    write_test_data(folder / "big.test.npz", n_in=64, rows=4000, seed=seed)
    return model


def test_sigkill_leaves_old_or_new_headers(tmp_path: Path) -> None:
    import signal
    import sys
    import time

    old_dir, new_dir, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    old_dir.mkdir(), new_dir.mkdir()
    generate(_slow_model(old_dir, 1), out)
    generate(_slow_model(new_dir, 2), tmp_path / "reference")
    old, new = _snapshot(out), _snapshot(tmp_path / "reference")
    assert old.keys() == new.keys() and all(old[k] != new[k] for k in old)
    cmd = [sys.executable, "-m", "m0nn", "gen", str(new_dir / "big.onnx"), "-o", str(out)]
    start = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    full = time.monotonic() - start
    kills = 0
    for k in range(8):
        for name, data in old.items():
            (out / name).write_bytes(data)  # back to the old headers
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * (0.3 + 0.1 * k))
        proc.send_signal(signal.SIGKILL)
        kills += proc.wait() == -signal.SIGKILL
        now = _snapshot(out)
        for name in old:
            assert now[name] in (old[name], new[name]), f"{name} is partial after a kill at {0.3 + 0.1 * k:.1f}"
        assert all(n in old or (n.startswith(".m0nn-") and n.endswith(".tmp")) for n in now), sorted(now)
    assert kills >= 3  # most runs were killed before they finished
    subprocess.run(cmd, check=True, capture_output=True)
    assert _snapshot(out) == new  # whole, current, and the killed runs' temporary files gone


def test_concurrent_gen_and_prebuild_agree(tmp_path: Path) -> None:
    import sys

    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    model = _slow_model(proj / "models", 3)
    mlp(seed=4).save(proj / "models" / "small.onnx")
    out = proj / "lib" / "m0nn" / "generated"
    gen = [sys.executable, "-m", "m0nn", "gen", str(model), "-o", str(out)]
    pre = [sys.executable, "-c", f"import sys, pathlib; from m0nn import prebuild; "
           f"sys.exit(prebuild.run(pathlib.Path({str(proj)!r})))"]  # fmt: skip
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in (gen, pre, gen, pre)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else b"") for p in procs]
    assert [rc for rc, _ in results] == [0, 0, 0, 0], results
    reference = tmp_path / "reference"
    for m in ("big", "small"):
        generate(proj / "models" / f"{m}.onnx", reference)
    assert _snapshot(out) == _snapshot(reference)


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs the ARM toolchain")
def test_bad_models_through_platformio(tmp_path: Path) -> None:
    """The SCons side: a non-UTF-8 model name, two names for one header, and a bad
    model next to a changed good one each stop `pio run` with one m0nn line, no
    traceback, and every header as it was."""
    import os

    from conftest import copy_project, pio

    proj = copy_project(tmp_path / "proj")
    models, gen = proj / "models", proj / "lib" / "m0nn" / "generated"
    before = _snapshot(gen)
    bad_name = os.fsdecode(os.fsencode(models) + b"/til\xfft.onnx")
    os.rename(models / "tilt.onnx", bad_name)
    runs = {"non-UTF-8 name": "the file name is not valid UTF-8"}
    result = pio("run", "-e", "native", cwd=proj)
    outputs = [(result, "non-UTF-8 name")]
    os.rename(bad_name, models / "tilt.onnx")
    shutil.copy(models / "tilt.onnx", models / "Tilt.onnx")
    runs["collision"] = "rename one of them"
    outputs.append((pio("run", "-e", "native", cwd=proj), "collision"))
    (models / "Tilt.onnx").unlink()
    mlp(seed=5).save(models / "tilt.onnx")  # changed, fine on its own
    (models / "tilt.test.npz").unlink()  # (tilt's vectors do not fit this model's input)
    (models / "bad.onnx").write_bytes(b"\x00corrupt")
    runs["bad model"] = "models/bad.onnx: not a valid ONNX model"
    outputs.append((pio("run", "-e", "native", cwd=proj), "bad model"))
    for res, what in outputs:
        text = res.stdout + res.stderr
        assert res.returncode != 0, what
        assert "Traceback" not in text, text
        lines = [line for line in text.splitlines() if line.startswith("m0nn: error")]
        assert len(lines) == 1 and runs[what] in lines[0], (what, text)
        assert _snapshot(gen) == before, what


def test_labels_within_a_wide_models_outputs_must_still_fit_int16() -> None:
    """The test header stores labels as int16: a model of more than 32768 outputs may have
    labels in its range that int16 cannot hold."""
    x, y = np.zeros((2, 6), np.float32), np.array([3, 40000])
    with pytest.raises(ValueError, match=r"^t.npz: labels 3..40000 do not fit int16$"):
        check_vectors(x, y, (6,), 50000, "t.npz")
    kept = check_vectors(x, np.array([3, 2**15 - 1]), (6,), 50000, "t.npz")[1]
    assert kept is not None and kept.tolist() == [3, 2**15 - 1]


def test_documented_names_are_the_real_ones() -> None:
    """Every `X.onnx` -> `name` example in docs/numerics.md and README.md is what the
    generator makes of that file name (or the name it refuses as a shadowing header);
    every header of m0nn's board support is a refused name."""
    for doc, least in (("docs/numerics.md", 7), ("README.md", 3)):
        examples = re.findall(r"`([^`]+)\.onnx` ->\s+`(\w+)`", (ROOT / doc).read_text(encoding="utf-8"))
        assert len(examples) >= least, (doc, examples)
        for stem, name in examples:
            try:
                assert c_identifier(stem) == name, (doc, stem)
            except ModelError as e:
                assert "would shadow" in str(e) and f"'{name}.h'" in str(e), (doc, stem, e)
    bsp = {p.stem for p in (resources.platform_dir("m0qemu") / "bsp").glob("*.h")}
    assert bsp == set(BSP_HEADERS)
