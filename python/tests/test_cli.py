"""The command line as a user meets it: m0nn installed from its wheel and run outside the
repository, optional dependencies missing, a user's project instead of m0nn's repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tomllib
from conftest import MODELS, ROOT, needs_arm

from m0nn.cli import GOLDEN, build_parser, main
from m0nn.codegen import version_guard
from m0nn.errors import EXTRAS

# pyproject.toml's distribution names that import under another name
IMPORT_NAMES = {"scikit-learn": "sklearn", "scons": "SCons"}


def _stderr_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


# --- Optional dependencies ---------------------------------------------------


def test_extras_are_the_ones_pyproject_defines_and_readme_names() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for extra, requirements in extras.items():
        if extra == "dev":  # the repository's own tools; every dependency is also in another extra
            continue
        for requirement in requirements:
            dist = requirement.split("=")[0].split(">")[0].split("<")[0].strip()
            assert EXTRAS[IMPORT_NAMES.get(dist, dist)] == extra, requirement
    assert set(EXTRAS.values()) <= set(extras)
    readme = (ROOT / "README.md").read_text()
    assert not [extra for extra in extras if f"m0nn[{extra}]" not in readme]


DATA = ["{models}/digits.onnx", "--data", "{models}/digits.test.npz"]


@pytest.mark.parametrize(
    ("argv", "module", "extra"),
    [
        (["train", "digits", "--models-dir", "{out}"], "torch", "train"),
        (["train", "tilt", "--models-dir", "{out}"], "onnxruntime", "check"),
        (["study", "digits", "-o", "{out}"], "torch", "train"),
        (["study", "tilt", "-o", "{out}"], "matplotlib", "report"),
        (["golden-graph", "-o", "{out}"], "onnxruntime", "check"),
        (["report", *DATA, "--variants", "q31", "--no-cycles", "-o", "{out}"], "matplotlib", "report"),
        (["bench", "-o", "{out}"], "unicorn", "bench"),
        (["bench-conv", "-o", "{out}"], "onnxruntime", "check"),
        # not known before the command runs: the import itself is caught
        (["check", *DATA, "--fp32", "{models}/fp32/digits.onnx"], "onnxruntime", "check"),
    ],
)
def test_a_missing_optional_dependency_is_one_line_naming_its_extra(
    argv: list[str], module: str, extra: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setitem(sys.modules, module, None)  # `import module` raises ModuleNotFoundError
    assert main([a.format(out=tmp_path, models=MODELS) for a in argv]) == 1
    line = _stderr_line(capsys)
    assert line == f"m0nn {argv[0]}: error: {module} is not installed: pip install 'm0nn[{extra}]'"
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_check_without_onnxruntime_leaves_out_the_fp32_column(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """models/fp32/digits.onnx is beside the model; without onnxruntime the check still runs."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert (MODELS / "fp32" / "digits.onnx").is_file()
    assert main(["check", str(MODELS / "digits.onnx"), "--data", str(MODELS / "digits.test.npz")]) == 0
    out, err = capsys.readouterr()
    assert "accuracy: int8 96.11%  fake-quant 96.11%" in out and "fp32" not in out.splitlines()[-1]
    assert err.strip() == (
        f"m0nn check: note: no fp32 column, {MODELS / 'fp32' / 'digits.onnx'} is not run: "
        "onnxruntime is not installed: pip install 'm0nn[check]'"
    )


def test_check_prints_fp32_int8_then_fake_quant_for_fc_and_graph_models(capsys: pytest.CaptureFixture[str]) -> None:
    """fp32/<name>.onnx beside the model gives the fp32 column, for a graph model too (TRIAL5
    F13: it was ignored there, an explicit --fp32 as well): the trained model's recorded
    accuracy, whether found or named."""
    for name in ("digits", "digits_cnn", "activity"):  # an FC model, two graph models
        fp32 = json.loads((MODELS / f"{name}.json").read_text())["fp32_accuracy"]
        for extra in ([], ["--fp32", str(MODELS / "fp32" / f"{name}.onnx")]):
            argv = ["check", str(MODELS / f"{name}.onnx"), "--data", str(MODELS / f"{name}.test.npz"), *extra]
            assert main(argv) == 0
            last = capsys.readouterr().out.splitlines()[-1]
            words = last.split()
            assert words[0] == "accuracy:" and words[1::2] == ["fp32", "int8", "fake-quant"], last
            assert words[2] == f"{100 * fp32:.2f}%", (name, last)


def test_check_of_a_graph_model_with_targets_prints_rmse_and_refuses_an_fp32_model_it_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression targets [N, outputs] give the RMSE line (the graph check printed nothing for
    them); an fp32 model of another input shape is one line naming it."""
    from m0nn.check import run_fp32

    x = np.load(MODELS / "activity.test.npz")["x"]
    targets = run_fp32(MODELS / "fp32" / "activity.onnx", x, (3, 32), 4)  # the fp32 model's own outputs
    np.savez(tmp_path / "t.npz", x=x, y=targets.astype(np.float32))
    assert main(["check", str(MODELS / "activity.onnx"), "--data", str(tmp_path / "t.npz")]) == 0
    words = capsys.readouterr().out.splitlines()[-1].split()
    assert words[0] == "rmse:" and words[1::2] == ["fp32", "int8", "fake-quant"], words
    fp32, int8, fake_quant = (float(v) for v in words[2::2])  # QAT moved the outputs from the fp32 model's
    assert fp32 < 1e-5 and int8 > 0 and abs(int8 - fake_quant) < 0.1 * int8, words
    wrong = MODELS / "fp32" / "digits_cnn.onnx"
    argv = ["check", str(MODELS / "activity.onnx"), "--data", str(tmp_path / "t.npz"), "--fp32", str(wrong)]
    assert main(argv) == 1
    line = _stderr_line(capsys)
    assert line.startswith(f"m0nn check: error: {wrong}: onnxruntime cannot run it on x [400, 3, 32]: "), line


class _Marker:
    """Unpickling it creates a file: a test that nothing was unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _bad_npy(case: str, path: Path, marker: Path, model: str = "digits") -> str:
    """Writes the bad file of `case` at `path` from `model`'s test vectors; the words its
    error line must hold."""
    x = np.load(MODELS / f"{model}.test.npz")["x"]
    good = path.with_name("good.npy")
    np.save(good, x)
    if case == "text":
        path.write_text("0.1, 0.2, 0.3\n")
        return "not an .npy file"
    if case == "npz named .npy":
        with open(path, "wb") as f:
            np.savez(f, x=x)
        return "not an .npy file"
    if case == "pickle":
        import pickle

        path.write_bytes(pickle.dumps([_Marker(marker)]))
        return "not an .npy file"
    if case == "object array":
        np.save(path, np.array([_Marker(marker)], dtype=object), allow_pickle=True)
        return "an array holds Python objects (pickled data), which m0nn never loads"
    if case == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return "Failed to read all data"
    if case == "truncated header":
        path.write_bytes(good.read_bytes()[:40])
        return "reading array header"
    if case == "one sample":
        np.save(path, x[0])
        return f"x has shape [{x.shape[1]}], the model takes [N, "
    if case == "no samples":
        np.save(path, x[:0])
        return "x has 0 rows"
    if case == "strings":
        np.save(path, x.astype(str))
        return "has type <U32, not numbers"
    if case == "NaN":
        bad = x.copy()
        bad[3, 5] = np.nan
        np.save(path, bad)
        return "x has NaN or infinite values (first at row 3)"
    if case == "missing":
        return "No such file or directory"
    raise AssertionError(case)


NPY_CASES = ["text", "npz named .npy", "pickle", "object array", "truncated", "truncated header", "one sample",
             "no samples", "strings", "NaN", "missing"]  # fmt: skip


@pytest.mark.parametrize("model", ["digits", "activity"])  # the FC and the graph path
@pytest.mark.parametrize("case", NPY_CASES)
def test_check_data_npy_is_read_safely_and_a_bad_one_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, model: str
) -> None:
    """`m0nn check --data x.npy`: never unpickled, and a file that is not a whole numeric .npy
    of [N, features] is `m0nn check: error: <file>: <problem>`, exit 1 (was numpy's advice to
    pass allow_pickle, or a traceback)."""
    data, marker = tmp_path / "x.npy", tmp_path / "marker"
    words = _bad_npy(case, data, marker, model)
    assert main(["check", str(MODELS / f"{model}.onnx"), "--data", str(data)]) == 1
    line = _stderr_line(capsys)
    assert line.startswith(f"m0nn check: error: {data}: ") and words in line, line
    assert "allow_pickle" not in line and not marker.exists()


@pytest.mark.parametrize("case", ["text", "object array", "truncated", "strings", "one value", "too few", "shape"])
def test_check_labels_npy_is_read_safely_and_a_bad_one_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """`m0nn check --data x.npy --labels y.npy`: the same for the labels, and labels that fit
    neither class indices nor the model's outputs are one line, not a traceback."""
    stored = np.load(MODELS / "digits.test.npz")
    data, labels, marker = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "marker"
    if case in ("text", "object array", "truncated", "strings"):
        words = _bad_npy(case, labels, marker)
    elif case == "one value":
        np.save(labels, np.int64(3))
        words = "y has 1 labels for 360 rows of x"
    elif case == "too few":
        np.save(labels, stored["y"][:5])
        words = "y has 5 labels for 360 rows of x"
    else:
        np.save(labels, np.stack([stored["y"], stored["y"]], axis=1))
        words = (
            "y has shape [360, 2] (int16), the model has 10 outputs: y must be integer labels in [0, 10) "
            "of shape [N], or regression targets [N, 10]"
        )
    np.save(data, stored["x"])
    assert main(["check", str(MODELS / "digits.onnx"), "--data", str(data), "--labels", str(labels)]) == 1
    line = _stderr_line(capsys)
    assert line.startswith(f"m0nn check: error: {labels}: ") and words in line, line
    assert "allow_pickle" not in line and not marker.exists()
    np.save(labels, stored["y"])  # good labels: the accuracy of the .npz's own y
    assert main(["check", str(MODELS / "digits.onnx"), "--data", str(data), "--labels", str(labels)]) == 0
    assert "int8 96.11%  fake-quant 96.11%" in capsys.readouterr().out


# TRIAL5 F2-F4 through `m0nn check` (the pre-build and `m0nn gen` meet the same check,
# m0nn.npz.check_vectors: bad_inputs.data_cases and conv_data_cases)
CHECK_NPZ_CASES = {
    "float y x0.3": (lambda x, y: (x, y.astype(np.float32) * 0.3), "y has shape [{n}] (float32), the model has {o} "
                     "outputs: y must be integer labels in [0, {o}) of shape [N], or regression targets [N, {o}]"),
    "float y +0.5": (lambda x, y: (x, y + 0.5), "y has shape [{n}] (float64), the model has {o} outputs"),
    "labels +7": (lambda x, y: (x, y + 7), "y has labels 7..{top}, the model has {o} outputs: class indices must be "
                  "in [0, {o}) (regression targets: save y as floats, [N, {o}])"),
    "int8 x": (lambda x, y: ((x * 10).astype(np.int8), y), "x has type int8, not float inputs (already quantized?"),
    "string x": (lambda x, y: (x.astype(str), y), "x has type <U32, not numbers (x: float inputs)"),
}  # fmt: skip


@pytest.mark.parametrize("model", ["digits", "activity"])  # the FC and the graph path
@pytest.mark.parametrize("case", list(CHECK_NPZ_CASES))
def test_check_refuses_test_vectors_that_do_not_fit_the_model_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, model: str
) -> None:
    """float targets of the wrong shape were a traceback (F2), labels beyond the outputs an
    accuracy of 0% and quantized or string x accepted (F3)."""
    stored = np.load(MODELS / f"{model}.test.npz")
    edit, words = CHECK_NPZ_CASES[case]
    x, y = edit(stored["x"], stored["y"])
    np.savez(tmp_path / "bad.npz", x=x, y=y)
    outputs = int(stored["y"].max()) + 1
    assert main(["check", str(MODELS / f"{model}.onnx"), "--data", str(tmp_path / "bad.npz")]) == 1
    line = _stderr_line(capsys)
    expect = words.format(n=len(y), o=outputs, top=outputs - 1 + 7)
    assert line.startswith(f"m0nn check: error: {tmp_path / 'bad.npz'}: ") and expect in line, line


def test_check_of_a_conv_model_takes_x_as_its_input_shape_or_flattened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """activity takes [N, 3, 32]: x so shaped or flattened gives the same numbers, x
    channels-last ([N, 32, 3], as many values) is refused naming both shapes (F4)."""
    stored = np.load(MODELS / "activity.test.npz")
    x = stored["x"].reshape(-1, 3, 32)
    outs = []
    for name, data in (("flat", x.reshape(len(x), -1)), ("shaped", x), ("channels_last", x.transpose(0, 2, 1))):
        np.savez(tmp_path / f"{name}.npz", x=data, y=stored["y"])
        rc = main(["check", str(MODELS / "activity.onnx"), "--data", str(tmp_path / f"{name}.npz")])
        outs.append((rc, capsys.readouterr()))
    assert outs[0][0] == outs[1][0] == 0 and outs[0][1].out == outs[1][1].out
    assert outs[2][0] == 1 and outs[2][1].err.splitlines() == [
        f"m0nn check: error: {tmp_path / 'channels_last.npz'}: x has shape [{len(x)}, 32, 3], "
        "the model takes [N, 3, 32] (or flattened [N, 96])"
    ]


def test_a_failed_compile_ends_in_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from m0nn import fuzz

    broken = tmp_path / "fuzz_driver.c"
    broken.write_text("int main(void) { return undeclared; }\n")
    monkeypatch.setattr(fuzz, "DRIVER", broken)
    assert main(["fuzz", "--calls", "3", "--target", "native"]) == 1
    err = capfd.readouterr().err
    assert "undeclared" in err and "Traceback" not in err  # the compiler's own message first
    assert err.splitlines()[-1].startswith("m0nn fuzz: error: `") and err.endswith("failed (exit 1)\n"), err


# --- Commands of m0nn's repository, run in a user's project -------------------


def test_golden_writes_only_under_its_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    (project / "test").mkdir(parents=True)
    monkeypatch.chdir(project)
    assert main(["golden", "-o", str(tmp_path / "g")]) == 0
    assert sorted(p.relative_to(tmp_path / "g").as_posix() for p in (tmp_path / "g").rglob("*.h")) == sorted(GOLDEN)
    for name in GOLDEN:  # the repository's layout under DIR: `-o test` in the repository is the default
        assert (tmp_path / "g" / name).read_bytes() == (ROOT / "test" / name).read_bytes(), name
    assert not list((project / "test").iterdir())
    capsys.readouterr()
    for command in ("golden", "golden-graph"):  # no -o: only where m0nn's own test suites are
        assert main([command]) == 1
        assert "give -o DIR" in _stderr_line(capsys)
    assert not list((project / "test").iterdir())


def test_demo_in_a_user_project_says_what_it_needs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "models").mkdir()
    shutil.copy(MODELS / "digits.onnx", tmp_path / "models")
    assert main(["demo", "--project", str(tmp_path)]) == 1
    line = _stderr_line(capsys)
    assert "needs src/app.c, lib/m0nn/src, models/digits.json" in line and "pio test -e m0_qemu" in line, line
    assert "Errno" not in line


def test_every_option_has_help_that_holds_in_a_user_project() -> None:
    """Help names no m0nn-repository path, except for the commands that are the repository's
    (measure) or name both layouts (prebuild)."""
    (sub,) = [a for a in build_parser()._actions if a.dest == "command"]
    for name, parser in sub.choices.items():  # type: ignore[union-attr]
        for action in parser._actions:
            assert action.help, f"m0nn {name} {action.option_strings or action.dest}: no help"
            if name not in ("measure", "prebuild"):
                assert "lib/m0nn/" not in action.help, f"m0nn {name}: {action.help}"


def test_version_guard_names_no_repository_path() -> None:
    """A user's project has no lib/m0nn: the #error names m0nn.h, which every project has."""
    assert "lib/m0nn" not in version_guard("x.h")[2] and "m0nn.h is another version" in version_guard("x.h")[2]
    for header in [*(ROOT / "lib" / "m0nn" / "generated").glob("*.h"), ROOT / "test/test_graph/golden_graph.h"]:
        assert not [line for line in header.read_text().splitlines() if "#error" in line and "lib/m0nn" in line]


# --- m0nn installed from its wheel, run outside the repository ---------------


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs it (the package and its data), ahead of the editable install."""
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp)]
    result = subprocess.run([*pip, str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp.glob("m0nn-*.whl")
    site = tmp / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site


def _installed(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_the_installed_wheel_compiles_its_own_c_library(wheel_site: Path, tmp_path: Path) -> None:
    out = _installed(wheel_site, "-c", "import m0nn.plugin.resources as r; print(r.c_library(), r.fuzz_drivers())",
                     cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    lib, drivers = (Path(p) for p in out.stdout.split())
    assert lib == wheel_site / "m0nn" / "pio" / "lib" / "m0nn" and (lib / "include" / "m0nn.h").is_file()
    assert (drivers / "fuzz_driver.c").is_file() and (drivers / "fuzz_m0.c").is_file()


def test_fuzz_from_the_wheel(wheel_site: Path, tmp_path: Path) -> None:
    out = _installed(wheel_site, "-m", "m0nn", "fuzz", "--calls", "30", "--target", "native", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "m0nn fuzz: no mismatch; native: " in out.stdout + out.stderr
    assert not list(tmp_path.iterdir())


@needs_arm
def test_report_bench_and_bench_conv_measure_cycles_from_the_wheel(wheel_site: Path, tmp_path: Path) -> None:
    """`m0nn report` with its cycle column; `m0nn bench`'s and `bench-conv`'s measurement of one case each."""
    args = [str(MODELS / "digits.onnx"), "--data", str(MODELS / "digits.test.npz"), "--variants", "mul32"]
    out = _installed(wheel_site, "-m", "m0nn", "report", *args, "-o", "report", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    (row,) = [line.split() for line in out.stdout.splitlines() if line.startswith("mul32 ")]
    assert int(row[4]) > 1000  # M0 cycles, not "-"
    script = (
        "import tempfile; from pathlib import Path\n"
        "from m0nn import bench; from m0nn.graph import bench as conv\n"
        "with tempfile.TemporaryDirectory() as tmp:\n"
        "    r = bench.measure('FC 16->64', 'm0nn', bench.synthetic_model('fc', [16, 64], 7), bench.FAST, Path(tmp))\n"
        "    c = conv.measure_conv('Conv1d', *conv.conv_case(**conv.CASES[0][1]), Path(tmp))\n"
        "print(r.cycles['M0/1'], r.boards['stm32f030'], c[1].cycles)\n"
    )
    out = _installed(wheel_site, "-c", script, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert all(int(v) > 1000 for v in out.stdout.split())
