"""The stack figure of the graph RAM budget (m0nn.graph.stack_size) against the real
arm-none-eabi build: the per-function table equals what -fstack-usage and the
disassembly give now (a changed kernel fails here and prints the new table), and for
the committed conv examples the bound covers the high-water mark QEMU measures
(the stack painted before each <name>_run) and is at most 25% + 64 bytes above it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODELS, ROOT

from m0nn.errors import M0nnError, ModelError
from m0nn.graph import cases, stack_size, stack_sizes
from m0nn.graph.generate import Budget, generate_graph
from m0nn.graph.importer import import_graph
from m0nn.graph.ir import AddOp, ConcatOp, ConvOp, FCOp, LutOp, PoolOp, SoftmaxOp, TransposeOp
from m0nn.settings import Settings

TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm")
needs_tools = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason="needs arm-none-eabi-gcc, QEMU")
REGENERATE = ".venv/bin/python -m m0nn.graph.stack_size --write"


@needs_tools
def test_stack_table_matches_the_build() -> None:
    frames, calls = stack_size.measure()
    hint = f"regenerate with `{REGENERATE}`; the new table:\n{stack_size.render_table(frames, calls)}"
    assert frames == stack_sizes.FRAMES, hint
    assert {k: tuple(v) for k, v in calls.items() if v} == stack_sizes.CALLS, hint


def test_runner_calls_exactly_the_kernels_of_the_operator_kinds() -> None:
    assert stack_sizes.CALLS["m0nn_graph_run"] == ("m0nn_graph_run_observed",)
    assert set(stack_sizes.CALLS["m0nn_graph_run_observed"]) == set(stack_size.KERNELS)
    kernels = {
        "m0nn_op_conv": "m0nn_conv_s8", "m0nn_op_depthwise_conv": "m0nn_depthwise_conv_s8", "m0nn_op_fc": "m0nn_fc_s8",
        "m0nn_op_maxpool": "m0nn_maxpool_s8", "m0nn_op_avgpool": "m0nn_avgpool_s8", "m0nn_op_add": "m0nn_add_s8",
        "m0nn_op_lut": "m0nn_lut_s8", "m0nn_op_softmax": "m0nn_softmax_s8", "m0nn_op_concat": "m0nn_concat_s8",
        "m0nn_op_transpose": "m0nn_transpose_s8",
    }  # fmt: skip
    assert {k: stack_sizes.CALLS[k] for k in stack_size.KERNELS} == {k: (v,) for k, v in kernels.items()}
    ops = [ConvOp("c", [0], 1), ConvOp("d", [0], 1, depth_multiplier=1), FCOp("f", [0], 1),
           PoolOp("m", [0], 1, mode="max"), PoolOp("a", [0], 1, mode="avg"), AddOp("s", [0, 1], 2),
           LutOp("l", [0], 1), SoftmaxOp("x", [0], 1), ConcatOp("k", [0, 1], 2), TransposeOp("t", [0], 1)]  # fmt: skip
    assert sorted(stack_size.kernel_of(op) for op in ops) == sorted(stack_size.KERNELS)


def test_deepest_chain_is_the_sum_along_the_deepest_path() -> None:
    f = stack_sizes.FRAMES
    runner = f["m0nn_graph_run"] + f["m0nn_graph_run_observed"]
    conv = f["m0nn_conv_s8"] + f["conv_lanes"] + max(f["m0nn_conv_lanes"], f["fill_columns"], f["__aeabi_lmul"])
    only_conv = frozenset(stack_size.KERNELS) - {"m0nn_op_conv"}
    assert stack_size.deepest("m0nn_graph_run", only_conv) == runner + f["m0nn_op_conv"] + conv
    only_lut = frozenset(stack_size.KERNELS) - {"m0nn_op_lut"}
    assert stack_size.deepest("m0nn_graph_run", only_lut) == runner + f["m0nn_op_lut"] + f["m0nn_lut_s8"]


def test_frames_the_parser_cannot_bound_are_refused() -> None:
    assert stack_size._asm_frame("f", [("push", "{r4, r5, r6, r7, lr}"), ("sub", "sp, #16"), ("add", "sp, #16")]) == 36
    with pytest.raises(M0nnError, match="writes sp by a register"):
        stack_size._asm_frame("f", [("add", "sp, r3")])
    with pytest.raises(M0nnError, match="indirect call"):
        stack_size._calls("f", [("blx", "r3")], {"f"})
    with pytest.raises(M0nnError, match=r"^f\.constprop\.0: an indirect call"):
        stack_size._calls("f.constprop.0", [("blx", "r3")], {"f"})
    clone = "m0nn_model_run_small.constprop.0.isra.0"  # a clone of a runner whose indirect calls are named
    assert stack_size._calls(clone, [("blx", "r3")], {clone}) == sorted(stack_size.INDIRECT["m0nn_model_run_small"])
    assert stack_size._calls("f", [("bl", "1234 <g>"), ("b.n", "12 <f+0x4>"), ("b.n", "40 <h>")], {"f", "g", "h"}) == [
        "g",
        "h",
    ]


CLONES = """#include <stdint.h>

void __attribute__((noinline)) clone_sink(volatile int32_t *p) { *p = 0; }

/* Always called with scale 3: gcc -O2 clones it for that constant (scaled_sum.constprop.0). */
static int32_t __attribute__((noinline)) scaled_sum(const int8_t *v, int32_t n, int32_t scale)
{
    volatile int32_t pad[6];
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) {
        pad[i & 3] = v[i];
        acc += v[i] * scale + pad[(i + 1) & 3];
    }
    clone_sink(pad);
    return acc;
}

struct pair {
    int32_t a;
    int32_t b[8];
};

/* Reads one field of the struct it is given: gcc -O2 passes that field alone (first.isra.0). */
static int32_t __attribute__((noinline)) first(const struct pair *p, int32_t k)
{
    volatile int32_t pad[4];
    pad[k & 3] = p->a;
    return pad[(k + 1) & 3] + p->a * k;
}

/* An early return before a larger body: gcc -O2 inlines the test and splits off the rest (check.part.0). */
static int32_t check(int32_t *v, int32_t n)
{
    if (n <= 0) {
        return 0;
    }
    volatile int32_t pad[10];
    for (int32_t i = 0; i < n; ++i) {
        pad[i & 7] = v[i] * 3;
        v[i] = pad[(i * 7) & 7] + (int32_t)(v[i] > 5);
        if (v[i] == 99) {
            clone_sink(&v[i]);
        }
    }
    return pad[3];
}

int32_t clone_entry(const int8_t *v, int32_t n, const struct pair *p, int32_t *w)
{
    return scaled_sum(v, n, 3) + scaled_sum(v + 1, n - 1, 3) + first(p, n) + check(w, n) + check(w + 1, n - 1);
}

int main(void)
{
    static const int8_t v[4] = {1, 2, 3, 4};
    static const struct pair p = {5, {0}};
    static int32_t w[4] = {1, 2, 3, 4};
    return (int)clone_entry(v, 4, &p, w);
}
"""


@needs_tools
def test_gcc_clones_have_their_own_frames_and_are_followed(tmp_path: Path) -> None:
    """gcc -O2 clones a function it specializes (.constprop.N), whose arguments it rewrites
    (.isra.N) or splits (.part.N): each clone is a function of the image with its own frame
    from the .su files (which name some without their number), and a call to one is followed."""
    from m0nn import cycles

    src = tmp_path / "clones.c"
    src.write_text(CLONES)
    elf = cycles.compile_image([src], [], tmp_path / "clones.elf", ["-fstack-usage"])
    frames, calls = stack_size.reach(elf, tmp_path, ["clone_entry"])
    su = {}  # the .su lines of clones.c: name (as gcc writes it) -> bytes
    for line in next(tmp_path.glob("*_clones.su")).read_text().splitlines():
        where, size, _ = line.split("\t")
        su[where.rsplit(":", 1)[1]] = int(size)
    clones = {c.split(".")[1]: c for c in calls["clone_entry"] if re.search(r"\.(constprop|isra|part)\.\d+$", c)}
    assert sorted(clones) == ["constprop", "isra", "part"], calls
    for clone in clones.values():
        assert frames[clone] == su.get(clone, su.get(clone.rsplit(".", 1)[0])), (clone, su)
        assert frames[clone] > 0
    assert calls[clones["constprop"]] == calls[clones["part"]] == ["clone_sink"]  # the clones' own calls


@needs_tools
def test_the_tools_of_an_installed_m0nn(tmp_path: Path) -> None:
    """m0nn.graph.stack_size and code_size find lib/m0nn as the rest of m0nn does (m0nn.plugin.resources):
    installed as the wheel lays it out (the library under m0nn/pio/lib), stack_size measures that copy
    against the installed table; --write, which rewrites a table of the source tree, is one line saying
    this m0nn is not a source checkout, and the installed tables stay as they were."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "python" / "m0nn", site / "m0nn", ignore=shutil.ignore_patterns("__pycache__"))
    ignore = shutil.ignore_patterns("generated", "__pycache__")
    shutil.copytree(ROOT / "lib" / "m0nn", site / "m0nn" / "pio" / "lib" / "m0nn", ignore=ignore)
    tables = {p: p.read_bytes() for p in (site / "m0nn" / "graph").glob("*_sizes.py")}
    env = {**os.environ, "PYTHONPATH": str(site)}

    def tool(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, env=env, capture_output=True, text=True)

    measured = tool("m0nn.graph.stack_size")
    assert measured.returncode == 0, measured.stderr
    n = len(stack_sizes.FRAMES)
    assert measured.stdout.splitlines() == [f"the runners reach {n} functions; table: {n}"], measured.stdout
    for name in ("code_size", "stack_size"):
        refused = tool(f"m0nn.graph.{name}", "--write")
        assert refused.returncode == 1 and refused.stdout == "", refused.stdout
        assert refused.stderr.startswith("m0nn: error: --write rewrites "), refused.stderr
        assert "is installed, not a source checkout" in refused.stderr and refused.stderr.count("\n") == 1
    assert {p: p.read_bytes() for p in tables} == tables


@needs_tools
@pytest.mark.parametrize("name", ["digits_cnn", "activity"])
def test_bound_covers_the_measured_high_water_mark(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    from m0nn.graph.measure import run_image

    bound = stack_size.stack_bytes(import_graph(MODELS / f"{name}.onnx", name))
    header = (ROOT / "lib" / "m0nn" / "generated" / f"{name}.h").read_text()
    assert re.search(rf"^#define {name.upper()}_STACK_SIZE {bound}$", header, re.M), "regenerate the header"
    image = run_image(ROOT, name)
    with capsys.disabled():
        print(f"\n{name}: stack bound {bound}, measured on QEMU {image.stack} (from the call of {name}_run)")
    assert image.exact == image.n_tests
    assert 0 < image.stack <= bound <= image.stack * 5 // 4 + 64, (bound, image.stack)


FC_SETTINGS = {"b8": {}, "b8w": {"kernel": "b8w"}, "ref": {"kernel": "ref"}, "small": {"kernel": "small"},
               "q31": {"requant": "q31"}}  # fmt: skip


@needs_tools
@pytest.mark.parametrize("name", ["digits", "tilt"])
@pytest.mark.parametrize("variant", FC_SETTINGS)
def test_fc_bound_covers_the_measured_high_water_mark(
    name: str, variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The FC examples under each kernel: <NAME>_STACK_SIZE (the runner's frames and the deepest chain
    of the model's kernels) against the stack QEMU sees used from the call of <name>_run."""
    from m0nn.codegen import model_stack_bytes
    from m0nn.generate import generate
    from m0nn.graph.measure import run_image
    from m0nn.onnx_import import import_model
    from m0nn.plan import configure

    settings = Settings(**FC_SETTINGS[variant])  # type: ignore[arg-type]
    bound = model_stack_bytes(configure(import_model(MODELS / f"{name}.onnx"), settings))
    gen = tmp_path / "gen"
    generate(MODELS / f"{name}.onnx", gen, settings)
    if variant == "b8":  # the committed header states the same figure
        header = (ROOT / "lib" / "m0nn" / "generated" / f"{name}.h").read_text()
        assert f"#define {name.upper()}_STACK_SIZE {bound}\n" in header, "regenerate the header"
    assert f"#define {name.upper()}_STACK_SIZE {bound}\n" in (gen / f"{name}.h").read_text()
    image = run_image(ROOT, name, gen)
    with capsys.disabled():
        print(f"\n{name} {variant}: stack bound {bound}, measured on QEMU {image.stack}")
    assert image.exact == image.n_tests
    assert 0 < image.stack <= bound <= image.stack * 5 // 4 + 64, (bound, image.stack)


def test_fc_stack_is_its_runner_and_the_deepest_kernel_chain() -> None:
    f = stack_sizes.FRAMES
    runner = f["m0nn_model_run"]  # the loop inline: it no longer calls m0nn_model_run_observed
    small = stack_size.fc_stack_bytes("m0nn_model_run_small", ["m0nn_fc_s8_small"])
    assert small == f["m0nn_model_run_small"] + f["m0nn_fc_s8_small"]
    ref = stack_size.fc_stack_bytes("m0nn_model_run", ["m0nn_fc_s8"])
    assert ref == runner + max(f["m0nn_to_offset_binary"], stack_size.deepest("m0nn_fc_s8"))
    every = stack_size.fc_stack_bytes("m0nn_model_run", stack_size.FC_KERNELS)
    assert every >= stack_size.fc_stack_bytes("m0nn_model_run", ["m0nn_fc_s8", "m0nn_fc_s8_b8"]) >= ref
    with pytest.raises(M0nnError):
        stack_size.fc_stack_bytes("m0nn_graph_run", ["m0nn_fc_s8"])


def test_budget_refuses_one_byte_less_ram_than_arena_io_and_stack(tmp_path: Path) -> None:
    path, _ = cases.build_ort_case("cnn", tmp_path)
    model = import_graph(path, "cnn")
    stack = stack_size.stack_bytes(model)
    header, test_header = tmp_path / "cnn.h", tmp_path / "cnn_test.h"
    generate_graph(path, header, test_header, Settings(), Budget(ram=1 << 20, flash=1 << 20))
    text = header.read_text()
    arena = int(re.search(r"^#define CNN_ARENA_SIZE (\d+)$", text, re.M).group(1))  # type: ignore[union-attr]
    assert f"#define CNN_STACK_SIZE {stack}\n" in text
    need = arena + model.input_size + model.output_size + stack
    header.unlink()
    with pytest.raises(ModelError) as exc:
        generate_graph(
            path, header, test_header, Settings(), Budget(ram=need - 1, flash=1 << 20, ram_from="custom_m0nn_ram")
        )
    assert str(exc.value) == (
        f"{path}: needs {need} bytes of RAM (arena {arena} + input {model.input_size} + output "
        f"{model.output_size} + stack {stack}), the target has {need - 1} (custom_m0nn_ram)"
    )
    assert not header.exists()
    generate_graph(path, header, test_header, Settings(), Budget(ram=need, flash=1 << 20))
    assert header.exists()


def test_fc_budget_refuses_one_byte_less_ram_or_flash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An FC model gets the graph models' check: RAM = arena + input + output + <NAME>_STACK_SIZE,
    flash = the header's data + the lib/m0nn code of its runner and kernels; stated with
    custom_m0nn_ram / custom_m0nn_flash (here through `m0nn prebuild --option`, as PlatformIO passes them)."""
    from m0nn.cli import main as cli
    from m0nn.codegen import kernel_fn, model_runner, model_stack_bytes
    from m0nn.graph.code_size import data_bytes, fc_code_bytes
    from m0nn.onnx_import import import_model
    from m0nn.plan import configure

    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    (proj / "platformio.ini").write_text("[env]\n")
    shutil.copy(MODELS / "digits.onnx", proj / "models" / "digits.onnx")
    model = configure(import_model(MODELS / "digits.onnx"), Settings())
    stack = model_stack_bytes(model)
    ram = model.arena_size() + model.input_size + model.output_size + stack
    data = data_bytes((ROOT / "lib" / "m0nn" / "generated" / "digits.h").read_text())
    code = fc_code_bytes(model_runner(model), {kernel_fn(la) for la in model.layers})
    out = proj / "lib" / "m0nn_models"
    for option, value, message in (
        ("custom_m0nn_ram", ram - 1, f"models/digits.onnx: needs {ram} bytes of RAM (arena {model.arena_size()} + "
         f"input {model.input_size} + output {model.output_size} + stack {stack}), the target has {ram - 1} "
         "(custom_m0nn_ram)"),
        ("custom_m0nn_flash", data + code - 1, f"models/digits.onnx: needs about {data + code} bytes of flash "
         f"(model data {data} + lib/m0nn code {code}), the target has {data + code - 1} (custom_m0nn_flash)"),
    ):  # fmt: skip
        capsys.readouterr()
        assert cli(["prebuild", str(proj), "--option", f"{option}={value}"]) == 1
        assert capsys.readouterr().err == f"m0nn: error: {message}; no header written for it\n"
        assert not out.exists()
    assert (
        cli(
            [
                "prebuild",
                str(proj),
                "--option",
                f"custom_m0nn_ram={ram}",
                "--option",
                f"custom_m0nn_flash={data + code}",
            ]
        )
        == 0
    )
    assert f"#define DIGITS_STACK_SIZE {stack}\n" in (out / "digits.h").read_text()
