"""The flash figure of the graph budget check (m0nn.graph.code_size) against the
real arm-none-eabi link: the code table may not fall short of any section the
graph runner links (a grown or new kernel fails here and prints the new table),
and the header data plus code is at least the real image's and close to it for
the committed conv examples."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from m0nn import cycles
from m0nn.graph import code_size, code_sizes
from m0nn.graph.importer import import_graph
from m0nn.graph.kinds import HANDLER

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "lib" / "m0nn"
REGENERATE = ".venv/bin/python -m m0nn.graph.code_size --write"
EXAMPLES = ("digits_cnn", "activity")


def test_code_table_covers_the_real_link() -> None:
    m = code_size.measure()
    sections, table = m.functions, code_sizes.FUNCTIONS
    grown = {k: (table.get(k), v) for k, v in sections.items() if v > table.get(k, 0)}
    stale = sum(table.values()) - sum(sections.values())
    hint = f"regenerate with `{REGENERATE}`; the new table:\n{code_size.render_table(m)}"
    assert not grown, f"sections larger than m0nn.graph.code_sizes (table, link): {grown}; {hint}"
    assert stale <= code_size.MARGIN, f"the table exceeds the link by {stale} bytes; {hint}"
    assert m.types == code_sizes.TYPES, hint
    assert tuple(m.runner) == code_sizes.RUNNER, hint
    assert {k: tuple(v) for k, v in m.kinds.items()} == code_sizes.KINDS, hint
    # each kind links its own kernel and no other kind's
    kernels = {"conv": "m0nn_conv_s8", "dwconv": "m0nn_depthwise_conv_s8", "fc": "m0nn_fc_s8",
               "max": "m0nn_maxpool_s8", "avg": "m0nn_avgpool_s8", "add": "m0nn_add_s8", "lut": "m0nn_lut_s8",
               "softmax": "m0nn_softmax_s8", "concat": "m0nn_concat_s8", "transpose": "m0nn_transpose_s8"}  # fmt: skip
    assert set(kernels) == set(HANDLER) == set(code_sizes.KINDS)
    for kind, kernel in kernels.items():
        linked = {k.rsplit(".text.", 1)[-1] for k in code_sizes.KINDS[kind]}
        assert kernel in linked and not linked & (set(kernels.values()) - {kernel}), (kind, linked)
        assert not any("m0nn_graph_run" in k for k in code_sizes.KINDS[kind]), kind
    assert all(k.startswith("m0nn_graph_run.o:") for k in code_sizes.RUNNER)
    assert {k: tuple(v) for k, v in m.fc_runners.items()} == code_sizes.FC_RUNNER_SECTIONS, hint
    assert {k: tuple(v) for k, v in m.fc_kernels.items()} == code_sizes.FC_KERNEL_SECTIONS, hint
    # each FC kernel links its own function and no other FC kernel
    for kernel, linked in code_sizes.FC_KERNEL_SECTIONS.items():
        names = {k.rsplit(".text.", 1)[-1] for k in linked}
        assert kernel in names and not names & (set(code_size.FC_KERNELS) - {kernel}), (kernel, names)
    # the union of every kind, every FC kernel and the runners is the whole table
    fc = set().union(*code_sizes.FC_RUNNER_SECTIONS.values(), *code_sizes.FC_KERNEL_SECTIONS.values())
    graph = set(code_sizes.RUNNER).union(*code_sizes.KINDS.values())
    assert graph | fc == set(table)
    assert code_size.code_bytes(HANDLER) == sum((table[k] + 3) & ~3 for k in graph)


def test_fc_kernels_are_the_ones_m0nn_h_declares() -> None:
    header = (LIB / "include" / "m0nn.h").read_text()
    declared = re.findall(r"^m0nn_status_t (m0nn_fc_s8\w*)\(const m0nn_fc_s8_params_t \*params, const int8_t \*input, "
                          r"int8_t \*output\);$", header, re.M)  # fmt: skip
    assert sorted(declared) == sorted(code_size.FC_KERNELS)


def test_code_of_a_model_is_the_runner_and_its_kinds_each_section_once() -> None:
    def aligned(keys: set[str]) -> int:
        return sum((code_sizes.FUNCTIONS[k] + 3) & ~3 for k in keys)

    runner = set(code_sizes.RUNNER)
    assert code_size.code_bytes([]) == aligned(runner)
    lut = runner | set(code_sizes.KINDS["lut"])
    assert code_size.code_bytes(["lut", "lut"]) == aligned(lut)
    both = lut | set(code_sizes.KINDS["conv"]) | set(code_sizes.KINDS["dwconv"])
    shared = set(code_sizes.KINDS["conv"]) & set(code_sizes.KINDS["dwconv"])
    assert shared  # the conv check is linked once for both
    assert (
        code_size.code_bytes(["conv", "dwconv", "lut"])
        == aligned(both)
        < (aligned(lut) + aligned(set(code_sizes.KINDS["conv"])) + aligned(set(code_sizes.KINDS["dwconv"])))
    )


def test_table_counts_what_the_image_holds_beyond_its_startup() -> None:
    """Sum of the code table = the image's .text + .rodata minus the vectors, main and the board support."""
    with tempfile.TemporaryDirectory() as tmp:
        main = Path(tmp) / "probe_main.c"
        main.write_text(code_size.probe_main(HANDLER))
        elf = cycles.compile_image(
            cycles.library_sources(LIB) + [main], [LIB / "include", LIB / "src"], Path(tmp) / "p.elf"
        )
        out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True)
        image = sum(int(m) for m in re.findall(r"^\.(?:text|rodata)\s+(\d+)", out.stdout, re.M))
        rest = 0
        for obj in Path(tmp).glob("*.o"):
            if obj.name.endswith(("_probe_main.o", "_m0qemu.o")):
                kept = {"main", "m0qemu_exit", "m0qemu_fault", "m0qemu_reset", "vectors"}
                rest += sum(size for _, size, _, name in code_size._nm(obj) if name in kept)
                # the probe's graph and kind table: main's read-only data, not lib/m0nn code
                rest += sum(s for _, s, t, n in code_size._nm(obj) if n.startswith("m0nn_probe_") and t in "rR")
        sizes = subprocess.run(["arm-none-eabi-size", "-A", str(next(Path(tmp).glob("*_m0qemu.o")))],
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
        rest += sum((int(m) + 3) & ~3 for m in re.findall(r"^\.rodata\S*\s+(\d+)", sizes, re.M))  # word-aligned
    every = code_size.code_bytes(HANDLER)
    assert 0 <= every - (image - rest) <= code_size.MARGIN, (every, image - rest)


def _example_image(tmp: Path, names: tuple[str, ...] = EXAMPLES) -> Path:
    includes = "".join(f'#include "{n}.h"\n' for n in names)
    calls = " | ".join(f"(int){n}_run(buf, buf + 256, buf)" for n in names)
    main = tmp / "probe_main.c"
    main.write_text(
        f'#include "m0nn.h"\n{includes}\nint main(void)\n{{\n    static int8_t buf[4096] M0NN_ALIGN4;\n'
        f"    return {calls};\n}}\n"
    )
    gen = LIB / "generated"
    return cycles.compile_image(
        cycles.library_sources(LIB) + [main], [LIB / "include", LIB / "src", gen], tmp / "e.elf"
    )


def test_examples_flash_estimate_covers_their_real_image(capsys: pytest.CaptureFixture[str]) -> None:
    """digits_cnn and activity: header data + code as the budget counts it, against the
    image's model tables (nm) and lib/m0nn + libgcc sections (.text + .rodata beyond startup)."""
    with tempfile.TemporaryDirectory() as tmp:
        elf = _example_image(Path(tmp))
        nm = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
        rows = [ln.split() for ln in nm.splitlines()]
    for name in EXAMPLES:
        header = (LIB / "generated" / f"{name}.h").read_text()
        own = re.compile(rf"^{name}_(o\d+_.*|ops|kinds|graph)$")
        real_data = sum(int(p[1], 16) for p in rows if len(p) == 4 and own.match(p[3]))
        est_data = code_size.data_bytes(header)
        n_arrays = len(re.findall(r"^static const ", header, re.M))
        code = code_size.code_bytes(code_size.model_kinds(import_graph(ROOT / "models" / f"{name}.onnx", name)))
        with tempfile.TemporaryDirectory() as tmp:
            _example_image(Path(tmp), (name,))  # this model alone: only its kinds' kernels are linked
            real_code = sum(code_size.library_sections(Path(tmp), "probe_main.o").values())
        with capsys.disabled():
            print(f"\n{name}: flash estimate {est_data + code} (data {est_data} + code {code}); real model "
                  f"tables {real_data} + lib/m0nn code {real_code}")  # fmt: skip
        assert real_data <= est_data <= real_data + 3 * n_arrays, (name, est_data, real_data)
        assert real_code <= code <= real_code + code_size.MARGIN, (name, code, real_code)
        assert code < code_size.code_bytes(HANDLER), name  # not every kernel


FC_SETTINGS = {"b8": {}, "b8w": {"kernel": "b8w"}, "ref": {"kernel": "ref"}, "small": {"kernel": "small"},
               "q31": {"requant": "q31"}, "ref_q31": {"kernel": "ref", "requant": "q31"}}  # fmt: skip


@pytest.mark.parametrize("variant", FC_SETTINGS)
def test_fc_flash_estimate_covers_the_real_image(
    variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """digits (FC) under each kernel: header data + code as the budget counts it, against the image's
    model tables (nm) and lib/m0nn + libgcc sections."""
    from m0nn.codegen import kernel_fn, model_runner
    from m0nn.generate import generate
    from m0nn.onnx_import import import_model
    from m0nn.plan import configure
    from m0nn.settings import Settings

    settings = Settings(**FC_SETTINGS[variant])  # type: ignore[arg-type]
    gen = tmp_path / "gen"
    generate(ROOT / "models" / "digits.onnx", gen, settings)
    model = configure(import_model(ROOT / "models" / "digits.onnx"), settings)
    main = tmp_path / "probe_main.c"
    main.write_text('#include "digits.h"\nint main(void)\n{\n    static int8_t buf[512] M0NN_ALIGN4;\n'
                    "    return (int)digits_run(buf, buf + 256, buf + 128);\n}\n")  # fmt: skip
    elf = cycles.compile_image(cycles.library_sources(LIB) + [main], [LIB / "include", LIB / "src", gen],
                               tmp_path / "e.elf")  # fmt: skip
    nm = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    own = re.compile(r"^digits_(l\d+_.*|layers|model)$")
    real_data = sum(int(p[1], 16) for p in (ln.split() for ln in nm.splitlines()) if len(p) == 4 and own.match(p[3]))
    real_code = sum(code_size.library_sections(tmp_path, "probe_main.o").values())
    header = (gen / "digits.h").read_text()
    est_data = code_size.data_bytes(header)
    code = code_size.fc_code_bytes(model_runner(model), {kernel_fn(la) for la in model.layers})
    with capsys.disabled():
        print(f"\ndigits {variant}: flash estimate {est_data + code} (data {est_data} + code {code}); real model "
              f"tables {real_data} + lib/m0nn code {real_code}")  # fmt: skip
    n_arrays = len(re.findall(r"^static const ", header, re.M))
    assert real_data <= est_data <= real_data + 3 * n_arrays, (est_data, real_data)
    assert real_code <= code <= real_code + code_size.MARGIN, (code, real_code)


def test_budget_refuses_one_byte_less_flash_than_data_plus_code(tmp_path: Path) -> None:
    from m0nn.errors import ModelError
    from m0nn.graph import cases
    from m0nn.graph.generate import Budget, generate_graph
    from m0nn.settings import Settings

    path, _ = cases.build_ort_case("cnn", tmp_path)
    header, test_header = tmp_path / "cnn.h", tmp_path / "cnn_test.h"
    generate_graph(path, header, test_header, Settings(), Budget(ram=1 << 20, flash=1 << 20))
    data = code_size.data_bytes(header.read_text())
    code = code_size.code_bytes(code_size.model_kinds(import_graph(path, "cnn")))
    need = data + code
    header.unlink()
    with pytest.raises(ModelError) as exc:
        generate_graph(
            path, header, test_header, Settings(), Budget(ram=1 << 20, flash=need - 1, flash_from="custom_m0nn_flash")
        )
    assert str(exc.value) == (
        f"{path}: needs about {need} bytes of flash (model data {data} + lib/m0nn code "
        f"{code}), the target has {need - 1} (custom_m0nn_flash)"
    )
    assert not header.exists()
    generate_graph(path, header, test_header, Settings(), Budget(ram=1 << 20, flash=need))
    assert header.exists()
