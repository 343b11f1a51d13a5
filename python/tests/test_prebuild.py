"""The pre-build step, alone and as PlatformIO runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODELS, copy_project, pio

from m0nn import prebuild
from m0nn.budget import Budget
from m0nn.settings import Settings


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    for name in ("digits.onnx", "digits.test.npz", "tilt.onnx"):
        shutil.copy(MODELS / name, proj / "models" / name)
    return proj


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_regenerates_only_what_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    assert sorted(_snapshot(out)) == ["digits.h", "digits_test.h", "tilt.h"]
    capsys.readouterr()

    assert prebuild.run(proj) == 0
    assert "2 model(s) up to date" in capsys.readouterr().out

    os.utime(proj / "models" / "digits.onnx", (1, 1))  # timestamp only
    assert prebuild.run(proj) == 0
    assert "up to date" in capsys.readouterr().out

    before = _snapshot(out)
    shutil.copy(MODELS / "tilt.onnx", proj / "models" / "digits.onnx")  # new content under the digits name
    (proj / "models" / "digits.test.npz").unlink()
    assert prebuild.run(proj) == 0
    log = capsys.readouterr().out
    assert "regenerating models/digits.onnx (model changed)" in log and "tilt" not in log
    after = _snapshot(out)
    assert after["tilt.h"] == before["tilt.h"] and after["digits.h"] != before["digits.h"]


def test_selection_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _project(tmp_path)
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    assert sorted(_snapshot(proj / "lib" / "m0nn" / "generated")) == ["tilt.h"]
    assert prebuild.run(proj, "models/missing.onnx") == 1
    assert "custom_m0nn_models names missing files: models/missing.onnx\n" in capsys.readouterr().err


def test_corrupt_model_keeps_previous_headers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    before = _snapshot(out)
    (proj / "models" / "digits.onnx").write_bytes(b"garbage")
    assert prebuild.run(proj) == 1
    err = capsys.readouterr().err
    assert "not a valid ONNX model" in err and "previous headers are left" in err
    assert _snapshot(out) == before


def test_every_bad_model_gets_its_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three bad models (one had headers, two are new: one unreadable, one a conv net over
    the RAM budget) next to a changed good one: one line per bad model, each naming the
    file relative to the project; no header written or changed; exit status 1."""
    from m0nn.graph.cases import build_ort_case

    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    before = _snapshot(out)
    (proj / "models" / "digits.onnx").write_bytes(b"garbage")  # had headers
    (proj / "models" / "new.onnx").write_bytes(b"\x00corrupt")  # new
    cnn, _ = build_ort_case("cnn", tmp_path)
    shutil.copy(cnn, proj / "models" / "cnn.onnx")  # new, fine except for the budget below
    shutil.copy(MODELS / "digits.onnx", proj / "models" / "tilt.onnx")  # good, changed
    capsys.readouterr()
    assert prebuild.run(proj, budget=Budget(ram=1000)) == 1  # digits (FC) needs 542 bytes, the conv net 1,894
    captured = capsys.readouterr()
    assert "m0nn: regenerating models/tilt.onnx" in captured.out  # the good one, then told it waits
    assert captured.out.endswith("m0nn: nothing written: every model's headers wait for the 3 error(s) below\n")
    lines = captured.err.strip().splitlines()
    assert len(lines) == 3, lines
    cnn_line, digits_line, new_line = lines
    assert digits_line.startswith("m0nn: error: models/digits.onnx: not a valid ONNX model"), digits_line
    assert digits_line.endswith("; the previous headers are left as they were"), digits_line
    assert new_line.startswith("m0nn: error: models/new.onnx: not a valid ONNX model"), new_line
    assert new_line.endswith("; no header written for it"), new_line
    assert cnn_line.startswith("m0nn: error: models/cnn.onnx: needs "), cnn_line
    assert "bytes of RAM (arena " in cnn_line and cnn_line.endswith("; no header written for it"), cnn_line
    assert str(tmp_path) not in "".join(lines)
    assert _snapshot(out) == before


def test_other_generator_version_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    header = out / "tilt.h"
    header.write_text(header.read_text().replace(prebuild.GENERATOR, "m0nn 0.0.1", 1))
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    assert "made by m0nn 0.0.1" in capsys.readouterr().out


def test_edited_version_guard_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header whose version guard is not this version's (its provenance line intact) is stale:
    the #error it would raise says `pio run` regenerates it, so the pre-build must."""
    from m0nn import c_version

    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    header = out / "tilt.h"
    good = header.read_bytes()
    guard = f"M0NN_VERSION != {c_version()}\n"
    assert guard in header.read_text()
    header.write_text(header.read_text().replace(guard, "M0NN_VERSION != 201\n", 1))
    capsys.readouterr()
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    assert f"(its version guard is not {prebuild.GENERATOR}'s (M0NN_VERSION {c_version()}))" in capsys.readouterr().out
    assert header.read_bytes() == good


def test_bad_name_next_to_current_models_is_said_without_the_generator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model whose name cannot be a C name, next to up-to-date models, gets its line even where
    the generator cannot be imported (PlatformIO's Python without numpy/onnx)."""
    proj = _project(tmp_path)
    assert prebuild.run(proj) == 0
    shutil.copy(MODELS / "tilt.onnx", proj / "models" / "int.onnx")  # a C keyword
    monkeypatch.setitem(sys.modules, "m0nn.generate", None)  # import m0nn.generate raises ImportError
    capsys.readouterr()
    assert prebuild.run(proj) == 1
    err = capsys.readouterr().err
    assert err.startswith("m0nn: error: models/int.onnx: ") and err.count("\n") == 1, err
    assert "numpy" not in err


def test_edited_test_header_guard_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same for <name>_test.h, whose own guard would stop the build."""
    from m0nn import c_version

    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj, "models/digits.onnx") == 0
    header = out / "digits_test.h"
    good = header.read_bytes()
    guard = f"M0NN_VERSION != {c_version()}\n"
    header.write_text(header.read_text().replace(guard, "M0NN_VERSION != 201\n", 1))
    capsys.readouterr()
    assert prebuild.run(proj, "models/digits.onnx") == 0
    assert "(digits_test.h's version guard is not" in capsys.readouterr().out
    assert header.read_bytes() == good


def test_no_change_path_imports_neither_numpy_nor_onnx(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    assert prebuild.run(proj) == 0
    code = (
        "import sys, pathlib; from m0nn import prebuild; "
        f"rc = prebuild.run(pathlib.Path({str(proj)!r})); "
        "print(rc, 'numpy' in sys.modules, 'onnx' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 False False False"


def _budget_project(tmp_path: Path) -> Path:
    """digits (FC, with test data), tilt (FC) and activity (a graph model, with test data)."""
    proj = _project(tmp_path)
    for name in ("activity.onnx", "activity.test.npz"):
        shutil.copy(MODELS / name, proj / "models" / name)
    return proj


def _errors(err: str) -> list[str]:
    lines = err.splitlines()
    assert all(line.startswith("m0nn: error: models/") for line in lines), lines
    return sorted(lines)


def test_no_change_path_checks_the_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A smaller RAM or flash budget without a model change (the option lowered, another board):
    each current model over it gets the line the regenerating path gives, from the sizes its
    header states; nothing is written, exit 1. The budget is not in the provenance: the
    headers are the same in every environment, and a budget that fits is up to date again."""
    from m0nn.cli import main as cli

    proj = _budget_project(tmp_path)
    out = proj / "lib" / "m0nn_models"  # `m0nn prebuild` in a project without lib/m0nn
    assert cli(["prebuild", str(proj)]) == 0
    before = _snapshot(out)
    regen = tmp_path / "regen"  # the same project, its test-data headers gone: digits and activity regenerate
    shutil.copytree(proj, regen)
    for name in ("digits_test.h", "activity_test.h"):
        (regen / "lib" / "m0nn_models" / name).unlink()
    for option in ("custom_m0nn_ram=100", "custom_m0nn_flash=5000"):
        capsys.readouterr()
        assert cli(["prebuild", str(proj), "--option", option]) == 1
        captured = capsys.readouterr()
        assert captured.out == "", captured.out
        current = _errors(captured.err)
        assert _snapshot(out) == before
        assert cli(["prebuild", str(regen), "--option", option]) == 1
        captured = capsys.readouterr()
        assert "m0nn: regenerating models/activity.onnx" in captured.out
        assert _errors(captured.err) == current  # the same lines, word for word
        assert {line.split(": ")[2] for line in current} >= {"models/activity.onnx", "models/digits.onnx"}
        assert all(line.endswith("; the previous headers are left as they were") for line in current)
    capsys.readouterr()
    assert cli(["prebuild", str(proj), "--option", "custom_m0nn_ram=100"]) == 1
    ram = sorted(int(line.split(" needs ")[1].split()[0]) for line in _errors(capsys.readouterr().err))
    assert len(ram) == 3  # every model needs more than 100 bytes
    assert cli(["prebuild", str(proj), "--option", f"custom_m0nn_ram={ram[-1] - 1}"]) == 1
    (line,) = _errors(capsys.readouterr().err)  # one byte short for the largest only
    assert f" needs {ram[-1]} bytes of RAM (" in line
    assert cli(["prebuild", str(proj), "--option", f"custom_m0nn_ram={ram[-1]}"]) == 0
    assert "3 model(s) up to date" in capsys.readouterr().out
    assert _snapshot(out) == before


def test_no_change_budget_check_needs_neither_numpy_nor_onnx(tmp_path: Path) -> None:
    """The check runs where PlatformIO's Python lacks numpy and onnx, FC and graph models alike."""
    proj = _budget_project(tmp_path)
    assert prebuild.run(proj) == 0
    code = (
        "import sys\n"
        "sys.modules['numpy'] = sys.modules['onnx'] = None  # as in PlatformIO's own Python\n"
        "from m0nn.cli import main\n"
        f"sys.exit(main(['prebuild', {str(proj)!r}, '--out', {str(proj / 'lib' / 'm0nn' / 'generated')!r}, "
        "'--option', 'custom_m0nn_ram=100']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    lines = _errors(result.stderr)
    assert [line.split(": ")[2] for line in lines] == ["models/activity.onnx", "models/digits.onnx", "models/tilt.onnx"]
    assert all(" bytes of RAM (arena " in line and "), the target has 100 (custom_m0nn_ram)" in line for line in lines)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("digits", Settings()),
        ("digits", Settings(kernel="b8w")),
        ("digits", Settings(kernel="ref", requant="q31")),
        ("digits", Settings(kernel="small")),
        ("tilt", Settings()),
        ("digits_cnn", Settings()),
        ("activity", Settings(requant="q31")),
    ],
)
def test_header_states_what_the_generator_counts(tmp_path: Path, name: str, settings: Settings) -> None:
    """What m0nn.budget reads from a header (the no-change path's check) is what the generator's
    own check counted for it: the RAM and flash figures of its messages."""
    from m0nn.budget import header_needs
    from m0nn.errors import ModelError
    from m0nn.generate import render

    path = MODELS / f"{name}.onnx"
    texts, _ = render(path, tmp_path, settings, Budget(ram=1 << 30, flash=1 << 30))
    needs = header_needs(texts[tmp_path / f"{name}.h"])
    assert needs is not None and needs.ram["stack"] > 0 and needs.flash_data > 0 and needs.flash_code > 0
    parts = " + ".join(f"{k} {v}" for k, v in needs.ram.items())
    with pytest.raises(ModelError, match=re.escape(f" needs {sum(needs.ram.values())} bytes of RAM ({parts}),")):
        render(path, tmp_path, settings, Budget(ram=0, flash=1 << 30))
    flash = f" needs about {needs.flash_data + needs.flash_code} bytes of flash (model data {needs.flash_data} + "
    with pytest.raises(ModelError, match=re.escape(flash + f"lib/m0nn code {needs.flash_code}),")):
        render(path, tmp_path, settings, Budget(ram=1 << 30, flash=0))


def test_header_without_its_sizes_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A current header whose stated sizes were edited away cannot be checked: it is regenerated."""
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    header = out / "tilt.h"
    good = header.read_bytes()
    header.write_text("".join(line for line in header.read_text().splitlines(True) if "_STACK_SIZE " not in line))
    capsys.readouterr()
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    assert "regenerating models/tilt.onnx (its stated sizes are missing)" in capsys.readouterr().out
    assert header.read_bytes() == good


def test_budget_options_are_byte_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from m0nn.plugin import build

    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert build.regenerate(proj, {"custom_m0nn_flash": "64K"}, out, None) == 1
    assert capsys.readouterr().err == "m0nn: error: custom_m0nn_flash: '64K' is not a byte count\n"
    assert not out.exists()
    assert build.regenerate(proj, {"custom_m0nn_ram": "16384"}, out, None) == 0


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs the ARM toolchain")
def test_pio_run_regenerates_changed_model_only(tmp_path: Path, m0qemu: None) -> None:
    """Through PlatformIO itself: unchanged build, changed model, a smaller budget (the option, the
    board's manifest) with no model changed, corrupt model."""
    proj = copy_project(tmp_path / "proj")
    gen = proj / "lib" / "m0nn" / "generated"
    first = pio("run", "-e", "native", cwd=proj)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "m0nn: 4 model(s) up to date" in first.stdout

    before = _snapshot(gen)
    # Retrained tilt model: the same graph with other weights. Stand-in: shift one weight.
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(proj / "models" / "tilt.onnx"))
    for init in m.graph.initializer:
        if init.name == "2.weight_quantized":
            w = numpy_helper.to_array(init).copy()
            w[0, 0] = -w[0, 0] if w[0, 0] != -128 else 127
            init.CopyFrom(numpy_helper.from_array(w, init.name))
    onnx.save(m, str(proj / "models" / "tilt.onnx"))
    second = pio("run", "-e", "native", cwd=proj)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "m0nn: regenerating models/tilt.onnx (model changed)" in second.stdout
    assert "regenerating models/digits.onnx" not in second.stdout
    after = _snapshot(gen)
    assert after["digits.h"] == before["digits.h"] and after["digits_test.h"] == before["digits_test.h"]
    assert after["tilt.h"] != before["tilt.h"]

    third = pio("run", "-e", "native", cwd=proj)
    assert "m0nn: 4 model(s) up to date" in third.stdout

    ini = (proj / "platformio.ini").read_text()  # a smaller budget, no model changed: checked all the same
    (proj / "platformio.ini").write_text(ini.replace("[env:native]\n", "[env:native]\ncustom_m0nn_ram = 1000\n", 1))
    small = pio("run", "-e", "native", cwd=proj)
    assert small.returncode != 0
    assert "m0nn: error: models/activity.onnx: needs 1768 bytes of RAM (arena " in small.stdout + small.stderr
    assert _snapshot(gen) == after
    # a smaller board: the manifest's RAM, here overridden in platformio.ini as PlatformIO allows
    board = "[env:m0_qemu]\nboard_upload.maximum_ram_size = 1000\n"
    (proj / "platformio.ini").write_text(ini.replace("[env:m0_qemu]\n", board, 1))
    smaller = pio("run", "-e", "m0_qemu", cwd=proj)
    assert smaller.returncode != 0
    assert "the target has 1000 (custom_m0nn_ram)" in smaller.stdout + smaller.stderr
    assert _snapshot(gen) == after
    (proj / "platformio.ini").write_text(ini)

    (proj / "models" / "tilt.onnx").write_bytes(b"\x00corrupt")
    fourth = pio("run", "-e", "native", cwd=proj)
    assert fourth.returncode != 0
    assert "not a valid ONNX model" in fourth.stdout + fourth.stderr
    assert _snapshot(gen) == after


def test_missing_dependencies_say_how_to_install(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    code = (
        "import sys, pathlib\n"
        "sys.modules['m0nn.generate'] = None  # as if numpy/onnx were missing\n"
        "from m0nn import prebuild\n"
        f"sys.exit(prebuild.run(pathlib.Path({str(proj)!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "needs numpy and onnx in PlatformIO's Python" in result.stderr
    command = result.stderr.split("Install them with: ")[1].strip()
    assert command.startswith(f"{sys.executable} -m pip install ") and "numpy>=" in command and "onnx>=" in command
    assert str(proj) not in command  # not the firmware project (`pip install -e <project>` fails)
    assert not (proj / "lib" / "m0nn" / "generated").exists() or not any(
        (proj / "lib" / "m0nn" / "generated").iterdir()
    )


def test_two_builds_regenerating_at_once_leave_whole_headers(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    code = f"import pathlib, sys; from m0nn import prebuild; sys.exit(prebuild.run(pathlib.Path({str(proj)!r})))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    out = proj / "lib" / "m0nn" / "generated"
    assert sorted(p.name for p in out.iterdir()) == ["digits.h", "digits_test.h", "tilt.h"]  # no temporary files
    reference = tmp_path / "ref"
    from m0nn.generate import generate

    for model in ("digits", "tilt"):
        generate(proj / "models" / f"{model}.onnx", reference)
    assert _snapshot(out) == _snapshot(reference)


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs the ARM toolchain")
@pytest.mark.parametrize(
    ("kernel", "row", "runner"),
    [("b8w", "{m0nn_fc_s8_b8p, 1,", "m0nn_model_run("), ("small", "{m0nn_fc_s8_small, 0,", "m0nn_model_run_small(")],
)
def test_kernel_option_runs_both_models_on_the_m0(tmp_path: Path, kernel: str, row: str, runner: str) -> None:
    """`custom_m0nn_kernel = b8w` (or `small`): the pre-build regenerates both models with
    b8w's layouts, here the pairs layout of m0nn_fc_s8_b8p for digits' layers of at most 64
    inputs (the least-code kernel and runner), and their end-to-end tests pass on
    the emulated Cortex-M0 (through the model runner: offset-binary hand-over between
    layers, the converted input)."""
    proj = copy_project(tmp_path / "proj")
    ini = proj / "platformio.ini"
    ini.write_text(ini.read_text().replace("[env]\n", f"[env]\ncustom_m0nn_kernel = {kernel}\n", 1))
    result = pio("test", "-e", "m0_qemu", "-f", "test_model_digits", "-f", "test_model_tilt", cwd=proj)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "8 test cases: 8 succeeded" in out
    header = (proj / "lib" / "m0nn" / "generated" / "digits.h").read_text()
    assert f"settings: kernel={kernel}" in header and row in header and runner in header
