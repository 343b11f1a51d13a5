"""The pairs layout (m0nn_fc_s8_b8p, chosen under kernel=b8w): its words and lane
arithmetic against the plain dot product, the generator's rule (and its fallback
to the wide lanes layout), the golden header, and mixed models on the host and
the emulated M0 against the integer reference."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, needs_arm
from numpy.typing import NDArray
from test_codegen import same_text

from m0nn import bench, cycles, golden
from m0nn.codegen import kernel_fn, render_model_header
from m0nn.layout import PAIRS_MAX_IN, pair_inputs, pairs4, pairs_bias, pairs_fit, pairs_refit, pairs_weights
from m0nn.model import QModel
from m0nn.plan import configure
from m0nn.reference import run_int
from m0nn.settings import Settings

WIDE = Settings(kernel="b8w", int4="off")


def lane_dots(x: NDArray[np.integer], w: NDArray[np.integer]) -> NDArray[np.int64]:
    """The ARMv6-M loop's arithmetic on m0nn.layout.pairs4's words (an independent
    model of the assembly): X_p = x[a] + 2^16 x[b] for the pairs (a, b) of
    pair_inputs, R = X_p * W (mod 2^32), then ASRS #16 plus the carry (bit 15),
    summed modulo 2^32 as int32."""
    n_out, n_in = w.shape
    pairs = (n_in + 1) // 2
    xs = np.zeros(n_in + 1, np.int64)
    xs[:n_in] = x
    a, b = pair_inputs(n_in)
    stage = (xs[a] + 65536 * xs[b]) % 2**32
    words = pairs4(w).view("<i4").astype(np.int64).reshape(-1, pairs, 4)  # [group, pair, row]
    out = np.zeros(words.shape[0] * 4, np.int64)
    for g in range(words.shape[0]):
        for r in range(4):
            r32 = (stage * (words[g, :, r] % 2**32)) % 2**32
            signed = np.where(r32 >= 2**31, r32 - 2**32, r32)
            out[4 * g + r] = int(((signed >> 16) + ((r32 >> 15) & 1)).sum())
    wrapped = (out[:n_out] + 2**31) % 2**32 - 2**31
    return wrapped


@pytest.mark.parametrize("n_in", [1, 2, 3, 4, 5, 6, 7, 8, 16, 33, 62, 63, 64])
def test_lane_arithmetic_is_the_dot_product(n_in: int) -> None:
    rng = np.random.default_rng(n_in)
    w = pairs_refit(rng.integers(-128, 128, (11, n_in)))
    assert pairs_fit(w)
    for x in (rng.integers(-128, 128, n_in), np.full(n_in, -128), np.full(n_in, 127)):
        assert (lane_dots(x, w) == w @ x).all()


def test_lane_bounds_and_the_one_pair_that_breaks_it() -> None:
    """Every legal pair's dot lies in [-32512, 32640] and is recovered exactly; the pair
    (-128, -128) against x = (-128, -128) has dot 32768, which the lane cannot hold."""
    v = np.arange(-128, 128)
    w0, w1 = (a.reshape(-1) for a in np.meshgrid(v, v))
    w = np.stack([w0, w1], axis=1)
    legal = ~((w0 == -128) & (w1 == -128))
    for x in ([-128, -128], [127, 127], [-128, 127], [127, -128]):
        got, want = lane_dots(np.array(x), w[legal]), w[legal] @ np.array(x)
        assert (got == want).all()
        assert want.min() >= -32512 and want.max() <= 32640
    assert not pairs_fit(w) and pairs_fit(w[legal])
    assert lane_dots(np.array([-128, -128]), np.array([[-128, -128]]))[0] != 32768


def test_pair_inputs_cover_every_input_once() -> None:
    """Whole groups of 4 pair (4g, 4g + 2) and (4g + 1, 4g + 3) (one input word, two
    masks), the last in_size mod 4 consecutive inputs; b = in_size pads an odd size."""
    for n in range(1, PAIRS_MAX_IN + 1):
        a, b = pair_inputs(n)
        assert a.size == (n + 1) // 2
        assert sorted([*a, *b]) == list(range(n + n % 2))
        g = n // 4
        assert a[: 2 * g].tolist() == [4 * (p // 2) + p % 2 for p in range(2 * g)]
        assert (b[: 2 * g] == a[: 2 * g] + 2).all() and (b[2 * g :] == a[2 * g :] + 1).all()


def test_pairs_fit_looks_at_input_pairs_only() -> None:
    assert pairs_fit(np.array([[5, -128, -128, 7]]))  # inputs 1 and 2: two different pairs
    assert pairs_fit(np.array([[5, 3, -128, -128]]))  # inputs 2 and 3: two different pairs
    assert not pairs_fit(np.array([[-128, 3, -128, 7]]))  # the pair (0, 2)
    assert not pairs_fit(np.array([[0, -128, 7, -128, 1]]))  # the pair (1, 3)
    assert not pairs_fit(np.array([[0, 0, 0, 0, -128, -128]]))  # the last 2: consecutive
    assert pairs_fit(np.array([[1, 2, -128]]))  # the odd input's pad weight is 0
    assert pairs_fit(np.array([[1, 2, 3, 4, -128]]))


def test_pairs_weights_put_values_at_their_pairs() -> None:
    for n in (1, 2, 3, 4, 7, 64):
        a, b = pair_inputs(n)
        v = np.arange(2 * a.size).reshape(1, -1, 2) + 1
        w = pairs_weights(v, n)
        assert (w[0, a] == v[0, :, 0]).all() and (w[0, b[b < n]] == v[0, b < n, 1]).all()


def test_max_in_has_one_source() -> None:
    """PAIRS_MAX_IN is the C header's M0NN_B8P_MAX_IN (the assembly's PAIRS_MAX is
    derived from the same header)."""
    header = (ROOT / "lib" / "m0nn" / "src" / "m0nn_b8p_max_in.h").read_text()
    assert f"#define M0NN_B8P_MAX_IN {PAIRS_MAX_IN}\n" in header
    inc = (ROOT / "lib" / "m0nn" / "src" / "m0nn_armv6m_pairs.inc").read_text()
    assert ".set PAIRS_MAX, M0NN_B8P_MAX_IN / 2" in inc


def test_bias_folds_the_input_zero_point_only() -> None:
    w, b = np.array([[1, -2, 3], [-128, 127, 0]]), np.array([100, -7])
    x = np.array([5, -128, 127])
    for offset in (-127, 0, 128):
        assert (pairs_bias(b, w, offset) + w @ x == b + w @ (x + offset)).all()


def mixed_model(seed: int = 5) -> QModel:
    """Layers the generator puts on each side of the rule under kernel=b8w: 70 inputs
    (b8w), 40 and 33 (pairs), a (-128, -128) weight pair (b8w), 12 (pairs)."""
    model = bench.synthetic_model("pairs mixed", [70, 40, 33, 12, 5], seed)
    model.layers[2].weights[3, [4, 6]] = -128  # the pair (4, 6)
    return model


def test_generator_picks_pairs_under_b8w_where_legal() -> None:
    model = configure(mixed_model(), WIDE)
    assert [layer.kernel for layer in model.layers] == ["b8w", "b8p", "b8w", "b8p"]
    assert [kernel_fn(layer) for layer in model.layers][1] == "m0nn_fc_s8_b8p"
    assert all(not pairs_fit(layer.weights) for layer in model.layers if layer.kernel == "b8w" and layer.in_size <= 64)
    assert [layer.kernel for layer in configure(mixed_model(), Settings(kernel="b8", int4="off")).layers] == ["b8"] * 4
    forced = configure(mixed_model(), Settings(kernel="b8w", requant="q31", int4="off"))
    assert {layer.kernel for layer in forced.layers} == {"b8w"}  # the pairs kernel runs MUL32 only
    assert PAIRS_MAX_IN == 64


def test_refused_pair_falls_back_in_the_header() -> None:
    model = configure(mixed_model(), WIDE)
    text = render_model_header(model, WIDE.line())
    table = text[text.index("_layers[") :]
    assert table.count("m0nn_fc_s8_b8p,") == 2 and table.count("m0nn_fc_s8_b8w,") == 2
    assert "m0nn_fc_s8_b8p layout: 9 group(s) of 4 rows" in text  # 40 -> 33: 20 pairs, the last group 1 row
    assert "/* rows  32- 35, pair  19 */" in text
    assert "m0nn_fc_s8_b8p layout: 2 group(s) of 4 rows" in text  # 12 -> 5


def test_golden_b8p_header_is_current() -> None:
    committed = (ROOT / "test" / "test_fc_s8" / "golden_fc_s8_b8p.h").read_text()
    same_text(golden.render_b8p(golden.cases_b8p()), committed, "golden_fc_s8_b8p.h", "m0nn golden")


def test_golden_b8p_cases_cover_the_loop() -> None:
    cases = golden.cases_b8p()
    sizes = {c.weights.shape[1] for c in cases}
    assert {1, 2, 3, 16, 63, 64} <= sizes and any(n % 2 for n in sizes)
    assert {(c.weights.shape[1] + 1) // 2 for c in cases} >= {1, 2, 4, 8, 16, 31, 32}
    assert {c.weights.shape[0] % 8 for c in cases} == set(range(8))
    assert {bool(c.requant.per_channel) for c in cases} == {True, False}
    assert all(pairs_fit(c.weights) for c in cases)


def _inputs(model: QModel) -> list[NDArray[np.int8]]:
    rng = np.random.default_rng(11)
    n = model.input_size
    return [rng.integers(-128, 128, n).astype(np.int8), np.full(n, -128, np.int8), np.full(n, 127, np.int8)]


def _main(model: QModel, x: NDArray[np.int8]) -> str:
    expected = run_int(model, x[None, :])[-1][0]
    return cycles.bench_main(
        "bench",
        '#include "bench.h"\n\n'
        f"static int8_t input[BENCH_INPUT_SIZE] = {{{', '.join(map(str, x))}}};\n"
        f"static const int8_t expected[BENCH_OUTPUT_SIZE] = {{{', '.join(map(str, expected))}}};",
        "input",
        "expected",
    )


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a host C compiler")
def test_mixed_model_on_the_host_equals_the_reference(tmp_path: Path) -> None:
    model = configure(mixed_model(), WIDE)
    (tmp_path / "bench.h").write_text(render_model_header(model, WIDE.line()))
    lib = ROOT / "lib" / "m0nn"
    srcs = [str(p) for p in sorted((lib / "src").glob("*.c"))]
    flags = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{lib / 'include'}", f"-I{lib / 'src'}"]
    for k, x in enumerate(_inputs(model)):
        (tmp_path / "main.c").write_text(_main(model, x))
        exe = tmp_path / f"main{k}"
        subprocess.run(["gcc", *flags, f"-I{tmp_path}", *srcs, str(tmp_path / "main.c"), "-o", str(exe)], check=True)
        assert subprocess.run([str(exe)], timeout=60).returncode == 0, f"input {k}"


@needs_arm
def test_mixed_model_on_the_emulated_m0_equals_the_reference() -> None:
    model = configure(mixed_model(), WIDE)
    lib = ROOT / "lib" / "m0nn"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "bench.h").write_text(render_model_header(model, WIDE.line()))
        for x in _inputs(model):
            (work / "bench_main.c").write_text(_main(model, x))
            elf = cycles.compile_image(
                cycles.library_sources(lib) + [work / "bench_main.c"], [lib / "include", lib / "src", work],
                work / "bench.elf",
            )  # fmt: skip
            cycles.trace_pcs(elf, work)  # raises unless the image exits 0: the output equals the reference


ALIGN_MAIN = """#include <stdint.h>
#include "bench.h"

static int32_t calls;
static int32_t misaligned;

/* m0nn_fc_s8_b8p, recording whether the runner handed it a word-aligned input */
static m0nn_status_t b8p_checked(const m0nn_fc_s8_params_t *p, const int8_t *input, int8_t *output)
{{
    ++calls;
    misaligned += ((uintptr_t)input & 3u) != 0;
    return m0nn_fc_s8_b8p(p, input, output);
}}

int main(void)
{{
    static int8_t arena[BENCH_ARENA_SIZE] M0NN_ALIGN4;
    static const int8_t input[BENCH_INPUT_SIZE] = {{{x}}};
    static const int8_t expected[BENCH_OUTPUT_SIZE] = {{{y}}};
    int8_t out[BENCH_OUTPUT_SIZE];
    m0nn_layer_t layers[BENCH_N_LAYERS];
    m0nn_model_t model = bench_model;
    int32_t i;
    for (i = 0; i < BENCH_N_LAYERS; ++i) {{
        layers[i] = bench_layers[i];
        if (layers[i].run == m0nn_fc_s8_b8p) {{
            layers[i].run = b8p_checked;
        }}
    }}
    model.layers = layers;
    if (m0nn_model_run(&model, input, out, arena) != M0NN_OK) {{
        return 2;
    }}
    for (i = 0; i < BENCH_OUTPUT_SIZE; ++i) {{
        if (out[i] != expected[i]) {{
            return 3;
        }}
    }}
    return calls == {calls} && misaligned == 0 ? 0 : 1;
}}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a host C compiler")
def test_every_b8p_layer_reads_a_word_aligned_input(tmp_path: Path) -> None:
    """The arena offsets that feed pairs layers are multiples of 4 (the staging by
    word): out sizes of every residue mod 4 at the arena's end (the model input
    18, the odd layers' 6 and 9), the generated ARENA_SIZE, m0nn_model_run's
    placement, an aligned arena; checked on the pointers the kernel receives."""
    model = configure(bench.synthetic_model("align", [18, 10, 6, 14, 9, 5], bench.SEED), WIDE)
    assert [la.kernel for la in model.layers] == ["b8p"] * 5
    assert model.arena_size() % 4 == 0
    x = np.random.default_rng(5).integers(-128, 128, model.input_size).astype(np.int8)
    y = run_int(model, x[None, :])[-1][0]
    (tmp_path / "bench.h").write_text(render_model_header(model, WIDE.line()))
    (tmp_path / "main.c").write_text(
        ALIGN_MAIN.format(x=", ".join(map(str, x)), y=", ".join(map(str, y)), calls=len(model.layers))
    )
    lib = ROOT / "lib" / "m0nn"
    srcs = [str(p) for p in sorted((lib / "src").glob("*.c"))]
    flags = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-fsanitize=address,undefined",
             "-fno-sanitize-recover=all", f"-I{lib / 'include'}", f"-I{lib / 'src'}", f"-I{tmp_path}"]  # fmt: skip
    exe = tmp_path / "main"
    subprocess.run(["gcc", *flags, *srcs, str(tmp_path / "main.c"), "-o", str(exe)], check=True)
    assert subprocess.run([str(exe)], timeout=60).returncode == 0
