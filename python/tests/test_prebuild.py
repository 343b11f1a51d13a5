"""The pre-build step, alone and as PlatformIO runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODELS, ROOT, copy_project, pio

from m0nn import prebuild
from m0nn.budget import Budget
from m0nn.settings import Settings


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    (proj / "platformio.ini").write_text("[env]\n")  # `m0nn prebuild` runs only in a PlatformIO project
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
    assert prebuild.run(proj, budget=Budget(ram=1000)) == 1  # digits (FC) needs 546 bytes, the conv net 1,894
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
    header states, ending with where they come from (nothing was regenerated) rather than the
    regenerating path's "the previous headers are left as they were"; nothing is written,
    exit 1. The budget is not in the provenance: the headers are the same in every
    environment, and a budget that fits is up to date again."""
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
        kept, tail = (
            "; the previous headers are left as they were",
            "; the sizes its current headers state (nothing regenerated)",
        )
        regenerating = {line.split(": ")[2]: line for line in _errors(captured.err)}  # tilt's is current there too
        assert all(line.endswith(tail) for line in current), current
        for line in current:  # the same model, sizes and option
            model = line.split(": ")[2]
            again = regenerating.pop(model)
            assert again == line if model == "models/tilt.onnx" else again == line[: -len(tail)] + kept, again
        assert not regenerating
        assert {line.split(": ")[2] for line in current} >= {"models/activity.onnx", "models/digits.onnx"}
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


def test_no_change_path_reads_each_header_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staleness, the orphan scan, the budget check and m0nn_models_test.h ask about the same
    headers: each file is opened once per run."""
    from collections import Counter

    proj = _budget_project(tmp_path)
    out = proj / "lib" / "m0nn_models"
    assert prebuild.run(proj, out_dir=out) == 0
    opened: Counter[str] = Counter()
    real_open = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object) -> object:
        opened[self.name] += 1
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", counting_open)
    assert prebuild.run(proj, out_dir=out) == 0
    headers = sorted(p.name for p in out.glob("*.h"))
    assert len(headers) == 6 and "m0nn_models_test.h" in headers
    assert {name: opened[name] for name in headers} == dict.fromkeys(headers, 1)


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

    if "_kinds[" in texts[tmp_path / f"{name}.h"]:  # a graph header of an earlier build: its kinds table designated
        designated = re.sub(
            r"^    (m0nn_op_\w+|NULL), /\* (M0NN_OP_\w+) \*/$",
            lambda m: "" if m[1] == "NULL" else f"    [{m[2]}] = {m[1]},",
            texts[tmp_path / f"{name}.h"],
            flags=re.M,
        )
        assert designated != texts[tmp_path / f"{name}.h"] and header_needs(designated) == needs


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
    assert capsys.readouterr().err == (
        "m0nn: error: custom_m0nn_flash: '64K' is not a byte count (a whole number above 0, e.g. 16384)\n"
    )
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
    assert "the target has 1000 (board microbit_qemu)" in smaller.stdout + smaller.stderr
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


def _headers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_headers_of_a_gone_model_are_removed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pre-build owns the headers it generated: a deleted model's headers go, one line
    per model, the model's .test.npz alone takes <name>_test.h; a rename is one removal and
    one generation; m0nn_models_test.h follows; a person's header stays; with a bad model
    nothing is removed (all or nothing)."""
    from m0nn.plugin import build

    proj = _project(tmp_path)
    shutil.copy(MODELS / "tilt.test.npz", proj / "models" / "tilt.test.npz")
    out = proj / "lib" / "m0nn_models"
    out.mkdir(parents=True)
    (out / "mine.h").write_text("/* a person's header: model:  tilt.onnx */\n")
    (out / "notes_test.h").write_text("/* mine too */\n")
    assert build.regenerate(proj, {}, out, None) == 0
    every = ["digits.h", "digits_test.h", "m0nn_models_test.h", "mine.h", "notes_test.h", "tilt.h", "tilt_test.h"]
    assert _headers(out) == every
    capsys.readouterr()

    (proj / "models" / "tilt.test.npz").unlink()
    assert build.regenerate(proj, {}, out, None) == 0
    log = capsys.readouterr().out
    assert log.splitlines()[0] == "m0nn: removed lib/m0nn_models/tilt_test.h (models/tilt.test.npz is gone)", log
    assert "regenerating" not in log and "2 model(s) up to date" in log
    assert "tilt_test.h" not in (out / build.ALL_TESTS).read_text()

    (proj / "models" / "tilt.onnx").unlink()
    (proj / "models" / "bad.onnx").write_bytes(b"\x00corrupt")  # a bad model: nothing is removed
    before = _snapshot(out)
    assert build.regenerate(proj, {}, out, None) == 1
    assert "removed" not in capsys.readouterr().out and _snapshot(out) == before
    (proj / "models" / "bad.onnx").unlink()
    assert build.regenerate(proj, {}, out, None) == 0
    log = capsys.readouterr().out
    assert log.splitlines()[0] == "m0nn: removed lib/m0nn_models/tilt.h (models/tilt.onnx is gone)", log
    assert "1 model(s) up to date" in log

    for suffix in (".onnx", ".test.npz"):  # renamed: digits -> hand
        (proj / "models" / f"digits{suffix}").rename(proj / "models" / f"hand{suffix}")
    assert build.regenerate(proj, {}, out, None) == 0
    log = capsys.readouterr().out
    assert "m0nn: regenerating models/hand.onnx (headers missing)\n" in log
    assert log.endswith("m0nn: removed lib/m0nn_models/digits.h, digits_test.h (models/digits.onnx is gone)\n"), log
    assert _headers(out) == ["hand.h", "hand_test.h", "m0nn_models_test.h", "mine.h", "notes_test.h"]
    aggregate = (out / build.ALL_TESTS).read_text()
    assert '#include "hand_test.h"' in aggregate and "digits" not in aggregate

    (proj / "models" / "hand.onnx").unlink()
    assert build.regenerate(proj, {}, out, None) == 0
    log = capsys.readouterr().out
    assert log.splitlines() == [
        "m0nn: note: models/hand.test.npz is not used: there is no models/hand.onnx (renamed?)",
        "m0nn: removed lib/m0nn_models/hand.h, hand_test.h (models/hand.onnx is gone)",
        log.splitlines()[-1],
    ]
    assert log.splitlines()[-1].startswith("m0nn: no model in models/ (.onnx); nothing to generate")
    assert _headers(out) == ["m0nn_models_test.h", "mine.h", "notes_test.h"]
    assert (out / "mine.h").read_text() == "/* a person's header: model:  tilt.onnx */\n"


def test_selection_drops_the_headers_of_models_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = _project(tmp_path)
    assert prebuild.run(proj) == 0
    capsys.readouterr()
    assert prebuild.run(proj, "models/tilt.onnx") == 0
    log = capsys.readouterr().out
    assert "m0nn: removed lib/m0nn/generated/digits.h, digits_test.h (digits.onnx is not in custom_m0nn_models)" in log
    assert _headers(proj / "lib" / "m0nn" / "generated") == ["tilt.h"]


def test_a_persons_header_is_refused_before_regenerating(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-written tilt.h: one error line, no `regenerating … (made by an unknown generator …)`."""
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    out.mkdir(parents=True)
    (out / "tilt.h").write_text("/* my own tilt.h */\n")
    assert prebuild.run(proj) == 1
    captured = capsys.readouterr()
    assert "tilt" not in captured.out and "unknown generator" not in captured.out + captured.err
    assert captured.err.splitlines() == [
        "m0nn: error: models/tilt.onnx: lib/m0nn/generated/tilt.h was not written by m0nn; "
        "refusing to overwrite it (rename the model, or remove the file)"
    ]
    assert _headers(out) == ["tilt.h"]


def test_messages_read_well(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`settings changed: a -> b` (one pair of parentheses); a UTF-8 model name as it is."""
    proj = _project(tmp_path)
    (proj / "models" / "digits.test.npz").unlink()
    (proj / "models" / "digits.onnx").rename(proj / "models" / "modèle.onnx")
    assert prebuild.run(proj) == 0
    assert "m0nn: regenerating models/modèle.onnx (headers missing)\n" in capsys.readouterr().out
    assert prebuild.run(proj, settings=Settings(kernel="b8w")) == 0
    log = capsys.readouterr().out
    assert (
        "m0nn: regenerating models/tilt.onnx (settings changed: kernel=b8 requant=auto min_bits=10 -> "
        "kernel=b8w requant=auto min_bits=10)\n"
    ) in log
    (proj / "models" / "modèle.onnx").unlink()
    assert prebuild.run(proj, settings=Settings(kernel="b8w")) == 0
    assert "m0nn: removed lib/m0nn/generated/mod_u00e8_le.h (models/modèle.onnx is gone)\n" in capsys.readouterr().out


def _ini_project(tmp_path: Path, ini: str) -> Path:
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    shutil.copy(MODELS / "tilt.onnx", proj / "models" / "tilt.onnx")
    (proj / "platformio.ini").write_text(ini)
    return proj


INI = """[platformio]
default_envs = board

[env]
extra_scripts = pre:extra_scripts/m0nn_prebuild.py
custom_m0nn_kernel = b8w
custom_m0nn_input_scale = tilt = 0.0625

[common]
custom_m0nn_ram = 100

[env:board]
extends = common
platform = native

[env:other]
platform = native
"""


@pytest.mark.parametrize("pio_importable", [True, False])
def test_prebuild_command_reads_platformio_ini(tmp_path: Path, pio_importable: bool) -> None:
    """`m0nn prebuild PROJECT` uses the options a build uses: [env], the environment's own
    section and what it extends (default: default_envs' first), --option over them; the same
    with and without PlatformIO importable."""
    proj = _ini_project(tmp_path, INI)
    block = "" if pio_importable else "sys.modules['platformio'] = None\n"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        code = f"import sys\n{block}from m0nn.cli import main\nsys.exit(main({['prebuild', str(proj), *args]!r}))\n"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    board = run()  # [env:board] extends [common]: a 100-byte RAM budget
    assert board.returncode == 1 and "the target has 100 (custom_m0nn_ram)" in board.stderr, board.stderr
    other = run("-e", "other")
    assert other.returncode == 0, other.stderr
    header = (proj / "lib" / "m0nn_models" / "tilt.h").read_text()
    assert "settings: kernel=b8w requant=auto min_bits=10 input_scale=0.0625 input_zero=0\n" in header
    again = run("--environment", "other")
    assert again.returncode == 0 and "1 model(s) up to date" in again.stdout, again.stdout + again.stderr
    override = run("-e", "other", "--option", "custom_m0nn_kernel=b8")
    assert override.returncode == 0 and "-> kernel=b8 requant" in override.stdout, override.stdout
    missing = run("-e", "nope")
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        f"m0nn: error: no [env:nope] in {proj / 'platformio.ini'} (environments: board, other)"
    ]


def test_prebuild_command_without_platformio_refuses_references(tmp_path: Path) -> None:
    proj = _ini_project(tmp_path, INI.replace("kernel = b8w", "kernel = ${common.kernel}"))
    code = (
        "import sys\nsys.modules['platformio'] = None\nfrom m0nn.cli import main\n"
        f"sys.exit(main(['prebuild', {str(proj)!r}, '-e', 'other']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("m0nn: error: custom_m0nn_kernel = '${common.kernel}' refers to another option"), line


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--option", "custom_m0nn_kernel"], "m0nn: error: --option 'custom_m0nn_kernel' is not custom_m0nn_X=VALUE"),
        (
            ["--option", "custom_m0nn_kernl=b8w"],
            "m0nn: error: unknown option custom_m0nn_kernl in --option (did you mean custom_m0nn_kernel?); "
            "m0nn knows custom_m0nn_models, custom_m0nn_kernel, custom_m0nn_requant, custom_m0nn_min_bits, "
            "custom_m0nn_int4, custom_m0nn_input_scale, custom_m0nn_ram, custom_m0nn_flash, custom_m0nn_fp_gate",
        ),
        (
            ["--option", "kernel=b8"],  # was ignored: "up to date", exit 0
            "m0nn: error: unknown option kernel in --option (did you mean custom_m0nn_kernel?); m0nn knows ",
        ),
        (["--option", "colour=red"], "m0nn: error: unknown option colour in --option; m0nn knows custom_m0nn_models"),
        (["--option", "custom_m0nn_ram=16k"], "m0nn: error: custom_m0nn_ram: '16k' is not a byte count"),
        (["--option", "custom_m0nn_flash=-5"], "m0nn: error: custom_m0nn_flash: '-5' is not a byte count"),
        (["--option", "custom_m0nn_ram=0"], "m0nn: error: custom_m0nn_ram: '0' is not a byte count"),
        (["--option", "custom_m0nn_min_bits=40"], "m0nn: error: custom_m0nn_min_bits: min_bits 40 is outside [1, 31]"),
        (["--option", "custom_m0nn_min_bits=x"], "m0nn: error: custom_m0nn_min_bits: invalid literal"),
        (["--option", "custom_m0nn_kernel=b9"], "m0nn: error: custom_m0nn_kernel: unknown kernel 'b9'"),
        (["--option", "custom_m0nn_requant=q32"], "m0nn: error: custom_m0nn_requant: unknown requantization 'q32'"),
        (["--option", "custom_m0nn_int4=on"], "m0nn: error: custom_m0nn_int4: unknown int4 mode 'on'"),
        (
            ["--option", "custom_m0nn_int4=force", "--option", "custom_m0nn_kernel=ref"],
            "m0nn: error: custom_m0nn_int4, custom_m0nn_kernel: int4=force needs a blocked kernel",
        ),
        (["--option", "custom_m0nn_input_scale=tilt = -1"], "m0nn: error: custom_m0nn_input_scale: tilt: input scale"),
        (
            ["--option", "custom_m0nn_fp_gate=maybe"],
            "m0nn: error: custom_m0nn_fp_gate: 'maybe' is not one of m0nn, strict, off",
        ),
    ],
)
def test_bad_option_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    from m0nn.cli import main as cli

    proj = _project(tmp_path)
    assert cli(["prebuild", str(proj), *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and captured.err.startswith(line), captured.err
    assert not (proj / "lib").exists()


@pytest.mark.parametrize("environment", ["native", "m0_qemu"])
def test_fp_gate_mode_is_checked_by_every_pre_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environment: str
) -> None:
    """`custom_m0nn_fp_gate = maybe` was accepted on native and, on m0_qemu, passed the
    pre-build ("up to date") to fail later in the builder: every environment's pre-build
    refuses it in one line naming the option, before anything is written."""
    from m0nn.plugin import build

    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn_models"
    assert build.regenerate(proj, {build.FP_GATE: "maybe"}, out, None, environment) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "m0nn: error: custom_m0nn_fp_gate: 'maybe' is not one of m0nn, strict, off\n"
    assert not out.exists()
    for mode in ("m0nn", "strict", "off", ""):
        assert build.regenerate(proj, {build.FP_GATE: mode}, out, None, environment) == 0


def test_fp_gate_modes_are_the_builders() -> None:
    """The pre-build refuses exactly what the m0qemu builder refuses: it reads the builder's list."""
    from m0nn.plugin import build

    assert build.fp_gate_modes() == ("m0nn", "strict", "off")
    for mode in build.fp_gate_modes():
        build.check_fp_gate(lambda key, default, m=mode: m if key == build.FP_GATE else default)


@pytest.mark.parametrize("model", ["digits", "activity"])  # the FC and the graph path
def test_test_data_that_is_not_an_npz_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str
) -> None:
    """A text file named hand.test.npz gave numpy's advice to pass allow_pickle (wrong for
    untrusted input): one line naming the file and the problem; `m0nn check --data` alike."""
    from m0nn.cli import main as cli

    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    shutil.copy(MODELS / f"{model}.onnx", proj / "models" / "hand.onnx")
    (proj / "models" / "hand.test.npz").write_text("0.1, 0.2, 0.3\n")
    assert prebuild.run(proj) == 1
    captured = capsys.readouterr()
    assert "allow_pickle" not in captured.out + captured.err
    (line,) = captured.err.splitlines()
    assert line.startswith("m0nn: error: models/hand.onnx: "), line
    assert "hand.test.npz: cannot read test data (an .npz with `x` and optional `y`): not an .npz archive" in line
    assert not (proj / "lib").exists()
    data = proj / "models" / "hand.test.npz"
    assert cli(["check", str(proj / "models" / "hand.onnx"), "--data", str(data)]) == 1
    captured = capsys.readouterr()
    assert "allow_pickle" not in captured.out + captured.err
    (line,) = captured.err.splitlines()
    assert f"{data}: not an .npz archive" in line, line


def test_a_mistyped_project_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`m0nn prebuild /no/such/dir` said "0 model(s) up to date" and exited 0; a project
    without models says there are none."""
    from m0nn.cli import main as cli

    assert cli(["prebuild", str(tmp_path / "nonexist")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"m0nn: error: there is no project folder {tmp_path / 'nonexist'}\n"
    assert not (tmp_path / "nonexist").exists()
    (tmp_path / "empty" / "models").mkdir(parents=True)
    (tmp_path / "empty" / "platformio.ini").write_text("[env]\n")
    assert cli(["prebuild", str(tmp_path / "empty")]) == 0
    assert capsys.readouterr().out.startswith("m0nn: no model in models/ (.onnx); nothing to generate (")


@pytest.mark.parametrize("where", ["src", "bare"])
def test_prebuild_outside_a_platformio_project_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """`m0nn prebuild` in a project's src/ (or any folder without platformio.ini) said "no model
    in models/" and wrote lib/m0nn_models/m0nn_models_test.h there; it is one line, exit 1,
    nothing written. The pre-build step of a build always has a platformio.ini."""
    from m0nn.cli import main as cli

    proj = _project(tmp_path)
    folder = proj / "src" if where == "src" else tmp_path / "bare"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for args in (["prebuild"], ["prebuild", str(folder)]):
        assert cli(args) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            f"m0nn prebuild: error: {folder} is not a PlatformIO project (no platformio.ini): "
            "run it in the project folder, or name the folder\n"
        )
        assert sorted(folder.iterdir()) == []
    assert not (proj / "lib").exists()


@pytest.mark.parametrize(
    ("ini", "line"),
    [
        (
            "[env:b]\ncustom_m0nn_kernel = b8w\n",
            "m0nn: error: custom_m0nn_kernel is 'b8w' in [env:b] but not set (default 'b8') in [env:a]; "
            "every environment shares the model headers (lib/m0nn_models): set it once in [env]",
        ),
        (
            "[env:b]\ncustom_m0nn_models = models/tilt.onnx\n",
            "m0nn: error: custom_m0nn_models is 'models/tilt.onnx' in [env:b] but not set in [env:a]",
        ),
        ("[env:b]\ncustom_m0nn_kernal = b8\n", "m0nn: error: unknown option custom_m0nn_kernal in [env:b] (did you"),
        ("[env:b]\ncustom_m0nn_ram = 100000\ncustom_m0nn_fp_gate = strict\n", None),  # per environment: fine
        ("[env:b]\ncustom_m0nn_kernel = b8\n", None),  # the default, said: the same headers
        ("[env:b]\nextra_scripts =\ncustom_m0nn_kernel = b8w\n", None),  # b does not run m0nn
    ],
)
@pytest.mark.parametrize("pio_importable", [True, False])
def test_options_shared_by_the_headers_agree(tmp_path: Path, ini: str, line: str | None, pio_importable: bool) -> None:
    text = "[env]\nextra_scripts = pre:extra_scripts/m0nn_prebuild.py\nplatform = native\n\n[env:a]\n\n" + ini
    proj = _ini_project(tmp_path, text)
    block = "" if pio_importable else "sys.modules['platformio'] = None\n"
    code = f"import sys\n{block}from m0nn.cli import main\nsys.exit(main(['prebuild', {str(proj)!r}, '-e', 'a']))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if line is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(line), result.stderr
    assert not (proj / "lib").exists()


def test_rename_to_the_same_c_name_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """digits.onnx renamed Digits.onnx (C name digits either way): the headers are the new
    model's, written over the gone model's, nothing else removed; next run up to date."""
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    for suffix in (".onnx", ".test.npz"):
        (proj / "models" / f"digits{suffix}").rename(proj / "models" / f"Digits{suffix}")
    capsys.readouterr()
    assert prebuild.run(proj) == 0
    log = capsys.readouterr().out
    assert "m0nn: regenerating models/Digits.onnx (its headers were generated from digits.onnx)\n" in log, log
    assert "removed" not in log
    assert _headers(out) == ["digits.h", "digits_test.h", "tilt.h"]
    assert all(" * model:  Digits.onnx\n" in (out / n).read_text() for n in ("digits.h", "digits_test.h"))
    assert prebuild.run(proj) == 0
    assert "2 model(s) up to date" in capsys.readouterr().out


@pytest.mark.parametrize("target", ["clean", "cleanall"])
def test_clean_runs_no_pre_build(tmp_path: Path, target: str) -> None:
    """`pio run -t clean` / `-t cleanall` (SCons' --clean) cleans and does nothing else: a model
    m0nn refuses, a changed model and an out-of-date copy of the pre-build script neither stop
    the clean nor regenerate, and m0nn says nothing."""
    proj = copy_project(tmp_path / "proj")
    gen = proj / "lib" / "m0nn" / "generated"
    before = _snapshot(gen)
    (proj / "models" / "bad.onnx").write_bytes(b"garbage")
    shutil.copy(MODELS / "digits.onnx", proj / "models" / "tilt.onnx")  # a changed model
    shim = proj / "extra_scripts" / "m0nn_prebuild.py"
    shim.write_text(shim.read_text() + "\n")
    build_dir = proj / ".pio" / "build" / "native"
    build_dir.mkdir(parents=True)
    (build_dir / "firmware.o").write_bytes(b"old")
    result = pio("run", "-e", "native", "-t", target, cwd=proj)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "m0nn" not in log, log
    assert not build_dir.exists(), log
    assert _snapshot(gen) == before

    (proj / "models" / "bad.onnx").unlink()  # a valid change alone: still not regenerated by a clean
    shutil.copy(ROOT / "extra_scripts" / "m0nn_prebuild.py", shim)
    shutil.copy(ROOT / "models" / "tilt.onnx", proj / "models" / "tilt.onnx")
    import numpy as np

    data = np.load(MODELS / "digits.test.npz")
    np.savez(proj / "models" / "digits.test.npz", x=data["x"][:10], y=data["y"][:10])
    result = pio("run", "-e", "native", "-t", target, cwd=proj)
    log = result.stdout + result.stderr
    assert result.returncode == 0 and "m0nn" not in log and _snapshot(gen) == before, log
    build = pio("run", "-e", "native", cwd=proj)  # the next build does it
    assert "regenerating models/digits.onnx (test data changed)" in build.stdout, build.stdout + build.stderr


def test_files_no_build_uses_are_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Test vectors or an fp32 reference left behind by a renamed model, a model file with an
    upper-case extension, one in a subfolder: one note line each, on every run (the no-change
    path too); files that are used get none. custom_m0nn_models chooses the models itself: then
    only the left-behind files are noted."""
    proj = _project(tmp_path)
    models = proj / "models"
    (models / "fp32").mkdir()
    (models / "sub").mkdir()
    shutil.copy(models / "digits.test.npz", models / "blob.test.npz")
    shutil.copy(models / "tilt.onnx", models / "fp32" / "blob.onnx")
    shutil.copy(models / "tilt.onnx", models / "fp32" / "tilt.onnx")  # tilt's own: used by m0nn check
    shutil.copy(models / "tilt.onnx", models / "UP.ONNX")
    shutil.copy(models / "tilt.onnx", models / "sub" / "net.onnx")
    (models / ".ipynb_checkpoints").mkdir()  # a hidden folder: a tool's, not the user's
    shutil.copy(models / "tilt.onnx", models / ".ipynb_checkpoints" / "tilt-checkpoint.onnx")
    notes = [
        "m0nn: note: models/UP.ONNX is not built: only models/*.onnx (lower case) are; rename it to UP.onnx, "
        "or list the models to build in custom_m0nn_models",
        "m0nn: note: models/blob.test.npz is not used: there is no models/blob.onnx (renamed?)",
        "m0nn: note: models/fp32/blob.onnx is not used: there is no models/blob.onnx (renamed?)",
        "m0nn: note: models/sub/net.onnx is not built: only models/*.onnx are; "
        "list the models to build in custom_m0nn_models to include it",
    ]
    for _ in range(2):  # generating, then the no-change path
        assert prebuild.run(proj) == 0
        out = capsys.readouterr().out
        assert [x for x in out.splitlines() if "note" in x] == notes, out
    assert "2 model(s) up to date" in out
    assert sorted(_snapshot(proj / "lib" / "m0nn" / "generated")) == ["digits.h", "digits_test.h", "tilt.h"]
    assert prebuild.run(proj, "models/digits.onnx, models/tilt.onnx") == 0
    assert [x for x in capsys.readouterr().out.splitlines() if "note" in x] == notes[1:3]


@pytest.mark.parametrize("folder", ["include", "src", "lib/board/src", "lib/board"])
def test_model_named_like_a_project_header_is_refused(
    tmp_path: Path, folder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """models/config.onnx beside the project's own <folder>/config.h: `#include "config.h"` finds one of
    the two. One line naming both, nothing written; when the header came later, the previous
    headers are kept and the no-change path says the same."""
    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    shutil.copy(proj / "models" / "tilt.onnx", proj / "models" / "config.onnx")
    (proj / folder).mkdir(parents=True)
    (proj / folder / "config.h").write_text("#define MY_BAUD 115200\n")
    assert prebuild.run(proj) == 1
    line = (
        f"m0nn: error: models/config.onnx: its header lib/m0nn/generated/config.h has the name of the project's "
        f"{folder}/config.h (#include finds only one of them); rename the model; "
    )
    assert capsys.readouterr().err == line + "no header written for it\n"
    assert not out.exists()
    (proj / folder / "config.h").rename(proj / "config.h")
    assert prebuild.run(proj) == 0
    before = _snapshot(out)
    (proj / "config.h").rename(proj / folder / "config.h")
    assert prebuild.run(proj) == 1
    assert capsys.readouterr().err.endswith(line + "the previous headers are left as they were\n")
    assert _snapshot(out) == before


def test_input_scale_of_a_graph_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """custom_m0nn_input_scale for a conv (graph) model: its header has no raw conversions, so the
    option is refused in one line (not recorded and ignored); headers an older m0nn wrote with it
    are refused on the no-change path too. The FC model beside it keeps its conversions."""
    proj = _project(tmp_path)
    shutil.copy(MODELS / "activity.onnx", proj / "models" / "activity.onnx")
    out = proj / "lib" / "m0nn" / "generated"
    line = (
        "m0nn: error: models/activity.onnx: custom_m0nn_input_scale applies to fully connected models only "
        "(a graph model's header has no activity_input_from_s16 or activity_output_to_q16); remove activity from it"
    )
    assert prebuild.run(proj, input_scales="activity = 0.01, digits = 0.0625") == 1
    assert capsys.readouterr().err == line + "; no header written for it\n"
    assert not out.exists()
    assert prebuild.run(proj, input_scales="digits = 0.0625") == 0
    assert "digits_input_from_s16" in (out / "digits.h").read_text()
    header = out / "activity.h"  # as m0nn 0.2.4 wrote it with the option
    text = header.read_text()
    recorded = f" * settings: {Settings().line()}"
    header.write_text(text.replace(f"{recorded}\n", f"{recorded} input_scale=0.01 input_zero=0\n"))
    before = _snapshot(out)
    assert prebuild.run(proj, input_scales="activity = 0.01, digits = 0.0625") == 1
    assert capsys.readouterr().err == f"{line}; {prebuild.CURRENT}\n"
    assert _snapshot(out) == before


def test_test_data_moved_while_generating_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The .test.npz moved away (a rename) after the run found it changed and before the generator
    reads it: <name>_test.h is removed with the same line as when it was gone from the start."""
    import numpy as np

    from m0nn import generate

    proj = _project(tmp_path)
    out = proj / "lib" / "m0nn" / "generated"
    assert prebuild.run(proj) == 0
    data = proj / "models" / "digits.test.npz"
    xy = np.load(data)
    np.savez(data, x=xy["x"][:10], y=xy["y"][:10])
    render = generate.render

    def render_after_a_rename(model: Path, *args: object, **kwargs: object) -> object:
        if data.is_file():
            data.rename(data.with_name("hand.test.npz"))  # the user's `mv`, mid-run
        return render(model, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generate, "render", render_after_a_rename)
    capsys.readouterr()
    assert prebuild.run(proj) == 0
    log = capsys.readouterr().out
    assert "m0nn: regenerating models/digits.onnx (test data changed)\n" in log, log
    assert "m0nn: removed lib/m0nn/generated/digits_test.h (models/digits.test.npz is gone)\n" in log, log
    assert sorted(_snapshot(out)) == ["digits.h", "tilt.h"]


@pytest.mark.parametrize(
    ("options", "source"),
    [
        ({}, "m0nn's default, the micro:bit's; set custom_m0nn_ram for another target"),  # native: no option, no board
        ({"custom_m0nn_ram": "16384"}, "custom_m0nn_ram"),
        ({"custom_m0nn_ram": "16384 (board microbit_qemu)"}, "board microbit_qemu"),  # as the build passes a manifest's
    ],
)
def test_budget_line_says_where_its_number_comes_from(options: dict[str, str], source: str) -> None:
    """The option, the board's manifest, or m0nn's default: never `(custom_m0nn_ram)` for a number
    the project did not set (the host, native, has no board and takes the default)."""
    from m0nn.budget import check_budget
    from m0nn.errors import ModelError
    from m0nn.plugin.build import read_budget

    budget = read_budget(lambda key, default: options.get(key, default))
    with pytest.raises(ModelError) as exc:
        check_budget("models/big.onnx", {"arena": 20000}, 0, 0, budget)
    assert str(exc.value).endswith(f"the target has 16384 ({source})"), exc.value
    flash = budget.flash_from
    assert flash == ("m0nn's default, the micro:bit's; set custom_m0nn_flash for another target"), flash
