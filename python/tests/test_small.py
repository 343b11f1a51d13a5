"""kernel=small, the least-code configuration (m0nn_fc_s8_small and
m0nn_model_run_small): generated models equal the integer reference on every
test vector on the host (AddressSanitizer and UBSan) and on the emulated M0;
an MLP links at most 1 KB of lib/m0nn code and no 64-bit multiply; what it
cannot run is refused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import MODELS, ROOT, needs_arm
from onnx_layers import gemm_layer_model

from m0nn import bench, cycles
from m0nn.codegen import render_model_header
from m0nn.errors import ModelError
from m0nn.generate import generate
from m0nn.onnx_import import import_model
from m0nn.plan import configure
from m0nn.settings import Settings

LIB = ROOT / "lib" / "m0nn"
SMALL = Settings(kernel="small")

MAIN = """#include "m0nn.h"
#include "{name}.h"
#include "{name}_test.h"

int main(void)
{{
    static int8_t arena[{up}_ARENA_SIZE + 1] M0NN_ALIGN4;
    int8_t out[{up}_OUTPUT_SIZE + 1];
    int32_t n;
    int32_t i;
    arena[{up}_ARENA_SIZE] = 0x5a;
    out[{up}_OUTPUT_SIZE] = 0x5a;
    for (n = 0; n < {up}_N_TESTS; ++n) {{
        if ({name}_run({name}_test_inputs[n], out, arena) != M0NN_OK) {{
            return 2;
        }}
        for (i = 0; i < {up}_OUTPUT_SIZE; ++i) {{
            if (out[i] != {name}_test_expected[n][i]) {{
                return 1;
            }}
        }}
        /* the stated arena also holds the tensors as m0nn_model_run places them (word-rounded) */
        if (m0nn_model_run(&{name}_model, {name}_test_inputs[n], out, arena) != M0NN_OK) {{
            return 4;
        }}
        for (i = 0; i < {up}_OUTPUT_SIZE; ++i) {{
            if (out[i] != {name}_test_expected[n][i]) {{
                return 5;
            }}
        }}
    }}
    return arena[{up}_ARENA_SIZE] == 0x5a && out[{up}_OUTPUT_SIZE] == 0x5a ? 0 : 3;
}}
"""


def _write(tmp: Path, name: str) -> Path:
    generate(MODELS / f"{name}.onnx", tmp, SMALL)
    assert "m0nn_model_run_small(" in (tmp / f"{name}.h").read_text()
    main = tmp / "main.c"
    main.write_text(MAIN.format(name=name, up=name.upper()))
    return main


def _library_c() -> list[Path]:
    return [p for p in cycles.library_sources(LIB) if p.suffix == ".c"]


@pytest.mark.parametrize("name", ["digits", "tilt"])
def test_small_models_equal_the_reference_on_the_host(tmp_path: Path, name: str) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    main = _write(tmp_path, name)
    exe = tmp_path / "a.out"
    flags = ["-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
             "-fno-sanitize-recover=all"]  # fmt: skip
    incs = [f"-I{d}" for d in (LIB / "include", LIB / "src", tmp_path)]
    subprocess.run(["gcc", *flags, *incs, *map(str, _library_c()), str(main), "-o", str(exe)], check=True)
    assert subprocess.run([str(exe)], timeout=120).returncode == 0


@needs_arm
@pytest.mark.parametrize("name", ["digits", "tilt"])
def test_small_models_equal_the_reference_on_the_m0(tmp_path: Path, name: str) -> None:
    main = _write(tmp_path, name)
    elf = cycles.compile_image(
        cycles.library_sources(LIB) + [main], [LIB / "include", LIB / "src", tmp_path], tmp_path / "t.elf"
    )
    cmd = ["qemu-system-arm", "-M", "microbit", "-nographic", "-monitor", "none", "-serial", "none",
           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]  # fmt: skip
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0


@needs_arm
def test_small_mlp_links_at_most_1kb_of_m0nn_code(tmp_path: Path) -> None:
    model = configure(bench.synthetic_model("mlp", [16, 64, 64, 4], bench.SEED + 4), SMALL)
    (tmp_path / "bench.h").write_text(render_model_header(model, SMALL.line()))
    main = tmp_path / "main.c"
    main.write_text(
        '#include "bench.h"\nint main(void)\n{\n    static int8_t arena[BENCH_ARENA_SIZE];\n'
        "    static int8_t x[BENCH_INPUT_SIZE];\n    int8_t y[BENCH_OUTPUT_SIZE];\n"
        "    return bench_run(x, y, arena) == M0NN_OK ? 0 : 1;\n}\n"
    )
    elf = cycles.compile_image(
        cycles.library_sources(LIB) + [main], [LIB / "include", LIB / "src", tmp_path], tmp_path / "t.elf"
    )
    symbols = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    assert "m0nn_fc_s8_small" in symbols and "m0nn_model_run_small" in symbols
    assert "__aeabi_lmul" not in symbols and "m0nn_fc_s8_check" not in symbols
    assert cycles.m0nn_code_size(elf) <= 1024


def test_small_refuses_what_it_cannot_run() -> None:
    with pytest.raises(ModelError, match="kernel=small runs MUL32 only"):
        configure(bench.synthetic_model("mlp", [16, 4], 1), Settings(kernel="small", requant="q31"))
    # FC 640->128: no multiplier keeps min_bits bits under its accumulator bound
    with pytest.raises(ModelError, match=r"^layer 0 \(fc0\)"):
        configure(bench.synthetic_model("fc640x128", [640, 128], bench.SEED + 3), SMALL)
    with pytest.raises(ModelError, match="int4=force needs a blocked kernel"):
        configure(bench.synthetic_model("mlp", [16, 4], 1), Settings(kernel="small", int4="force"))


def test_small_refusal_advises_what_works_for_small() -> None:
    """A layer MUL32 cannot run at min_bits needs q31, which kernel=small lacks: the line
    names the other kernels and the min_bits that would run it, and both pieces of advice
    configure the model (TRIAL5 F20: it advised q31, which the next error forbade)."""
    model = bench.synthetic_model("fc640x128", [640, 128], bench.SEED + 3)
    with pytest.raises(ModelError) as info:
        configure(model, SMALL)
    line = str(info.value)
    assert "\n" not in line and "use q31" not in line, line
    assert "kernel=small does not have: use kernel b8, b8w or ref" in line, line
    bits = int(line.split(" to ")[-1].split(":")[0])
    assert f"leaves only {bits} multiplier bits" in line, line
    assert configure(
        bench.synthetic_model("fc640x128", [640, 128], bench.SEED + 3), Settings(kernel="small", min_bits=bits)
    )
    assert configure(bench.synthetic_model("fc640x128", [640, 128], bench.SEED + 3), Settings(kernel="ref"))
    # the other kernels keep the q31 advice (they have it)
    with pytest.raises(ModelError, match=r"\(minimum 10\); use q31$"):
        configure(bench.synthetic_model("fc640x128", [640, 128], bench.SEED + 3), Settings(requant="mul32"))


def test_small_refusal_without_any_mul32_width_names_the_other_kernels(tmp_path: Path) -> None:
    """No MUL32 width is exact at all: lowering min_bits cannot help, so only the kernels are named."""
    w = np.full((2, 130), 127, np.int8)
    w[1, 1::2] = -127
    path = gemm_layer_model(tmp_path / "m.onnx", w, 1 / 64, 1 / 8, 1 / (8 * 64 * 511.9))
    with pytest.raises(ModelError) as info:
        configure(import_model(path), SMALL)
    assert str(info.value).endswith("it needs q31, which kernel=small does not have: use kernel b8, b8w or ref")
    assert configure(import_model(path), Settings(kernel="b8")).layers[0].requant.mode == "q31"


def test_small_arena_suits_both_runners_on_the_host(tmp_path: Path) -> None:
    """A small model's ARENA_SIZE (widths 10 and 6: not whole words) also holds its tensors
    where m0nn_model_run puts them (rounded to words), so its header runs under either runner."""
    if shutil.which("gcc") is None:
        pytest.skip("no host gcc")
    model = configure(bench.synthetic_model("odd", [6, 10, 6, 3], bench.SEED), SMALL)
    (tmp_path / "bench.h").write_text(render_model_header(model, SMALL.line()))
    main = tmp_path / "main.c"
    main.write_text(
        '#include "bench.h"\nint main(void)\n{\n    static int8_t arena[BENCH_ARENA_SIZE] M0NN_ALIGN4;\n'
        "    static const int8_t x[BENCH_INPUT_SIZE] = {1, -2, 3, -4, 5, -6};\n"
        "    int8_t y[BENCH_OUTPUT_SIZE];\n    int8_t z[BENCH_OUTPUT_SIZE];\n    int i;\n"
        "    if (bench_run(x, y, arena) != M0NN_OK || m0nn_model_run(&bench_model, x, z, arena) != M0NN_OK) {\n"
        "        return 1;\n    }\n    for (i = 0; i < BENCH_OUTPUT_SIZE; ++i) {\n"
        "        if (y[i] != z[i]) {\n            return 2;\n        }\n    }\n    return 0;\n}\n"
    )
    exe = tmp_path / "a.out"
    flags = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
             "-fno-sanitize-recover=all"]  # fmt: skip
    incs = [f"-I{d}" for d in (LIB / "include", LIB / "src", tmp_path)]
    subprocess.run(["gcc", *flags, *incs, *map(str, _library_c()), str(main), "-o", str(exe)], check=True)
    assert subprocess.run([str(exe)], timeout=60).returncode == 0
