"""The Q31 split path (issue 12, item 4): TFLite's requantization from 16-bit
products where the generator bounds the accumulator. The split arithmetic
(m0nn.quant.requantize_q31_split, step for step what m0nn_requantize_q31_split
computes) must equal requantize_q31 on its whole domain, up to its edges; the
generator takes it exactly where q31_split_fits holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_codegen import same_text

from m0nn import golden_requant
from m0nn.bench import synthetic_model
from m0nn.codegen import kernel_fn, render_model_header
from m0nn.errors import ModelError
from m0nn.plan import configure
from m0nn.quant import (
    INT32_MAX,
    Q31_SHIFT_MAX,
    Q31_SHIFT_MIN,
    Q31_SPLIT_ACC_MAX,
    Q31_SPLIT_OFFSET_MAX,
    accumulator_bound,
    q31_split_fits,
    requantize_q31,
    requantize_q31_split,
)
from m0nn.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BOUND = Q31_SPLIT_ACC_MAX
RIGHT_SHIFTS = np.arange(Q31_SHIFT_MIN, 0)
EDGE_M = [0, 1, 2**15, 2**16 - 1, 2**16, 2**30, 2**30 + 1, 2**31 - 2, INT32_MAX]


def _same(acc: np.ndarray, m: np.ndarray, s: np.ndarray) -> None:
    want = requantize_q31(acc, m, s)
    got = requantize_q31_split(acc, m, s)
    bad = np.flatnonzero(want != got)
    assert bad.size == 0, [(int(acc[i]), int(m[i]), int(s[i]), int(want[i]), int(got[i])) for i in bad[:5]]


def test_split_equals_requantize_q31_at_the_bounds_edges() -> None:
    acc = np.array([BOUND, -BOUND, BOUND - 1, -(BOUND - 1), 0, 1, -1, 2**15, -(2**15), 2**15 - 1, -(2**15) - 1])
    a, m, s = (v.reshape(-1) for v in np.meshgrid(acc, np.array(EDGE_M), RIGHT_SHIFTS))
    _same(a, m, s)


def test_split_equals_requantize_q31_on_ties_of_both_steps() -> None:
    r = np.arange(1, 30, dtype=np.int64)
    for k in range(4):
        high = (np.int64(k) << r) + (np.int64(1) << (r - 1))  # step 2 ties: high = (k + 1/2) 2^r
        ok = 2 * high + 1 <= BOUND
        for acc in (2 * high, -2 * high, 2 * high + 1, -2 * high - 1):  # M = 2^30: high = acc / 2 (+ a step 1 tie)
            _same(acc[ok], np.full(int(ok.sum()), 2**30), -r[ok])


def test_split_equals_requantize_q31_on_random_values() -> None:
    rng = np.random.default_rng(12)
    n = 200_000
    acc = rng.integers(-BOUND, BOUND + 1, n)
    acc[::3] //= 2**13
    _same(acc, rng.integers(0, 2**31, n), rng.integers(Q31_SHIFT_MIN, 0, n))


def test_split_adds_the_offset_exactly_at_the_edges() -> None:
    # The C helper's last ADCS adds the output offset with the step 2 carry: y + offset
    # for every output offset ([-128, 255]) and up to the documented +-2^30.
    acc = np.array([BOUND, -BOUND, 0, 1, -1, 2**15, -(2**15), 2**16 + 1, -(2**16) - 1])
    for offset in (-128, -1, 0, 1, 127, 255, Q31_SPLIT_OFFSET_MAX, -Q31_SPLIT_OFFSET_MAX):
        a, m, s = (v.reshape(-1) for v in np.meshgrid(acc, np.array(EDGE_M), RIGHT_SHIFTS))
        got = requantize_q31_split(a, m, s, offset)
        assert np.array_equal(got, requantize_q31(a, m, s) + offset), offset
    with pytest.raises(ModelError):
        requantize_q31_split(np.array([5]), np.array([2**30]), np.array([-1]), Q31_SPLIT_OFFSET_MAX + 1)


def test_the_two_roundings_are_one_floor() -> None:
    # docs/numerics.md: y = floor((x M + 2^30 + 2^(30+r) - 2^31 [x < 0]) / 2^(31+r)),
    # in Python integers (no 64-bit limit), against TFLite's two steps.
    rng = np.random.default_rng(7)
    acc = np.concatenate([np.array([BOUND, -BOUND, 0, 1, -1, 2**15, -(2**15)]), rng.integers(-BOUND, BOUND + 1, 5000)])
    a, m, s = (v.reshape(-1) for v in np.meshgrid(acc[:7], np.array(EDGE_M), RIGHT_SHIFTS))
    a = np.concatenate([a, acc[7:]])
    m = np.concatenate([m, rng.integers(0, 2**31, 5000)])
    s = np.concatenate([s, rng.integers(Q31_SHIFT_MIN, 0, 5000)])
    one = [
        (int(x) * int(mm) + 2**30 + 2 ** (30 - int(k)) - 2**31 * int(x < 0)) >> (31 - int(k))
        for x, mm, k in zip(a, m, s, strict=True)
    ]
    assert one == requantize_q31(a, m, s).tolist()


def test_the_bound_check_refuses_just_past_the_bound_and_left_shifts() -> None:
    assert q31_split_fits(BOUND, RIGHT_SHIFTS)
    assert not q31_split_fits(BOUND + 1, np.array([-5]))
    for s in range(0, Q31_SHIFT_MAX + 1):
        assert not q31_split_fits(10, np.array([-3, s]))
    with pytest.raises(ModelError):
        requantize_q31_split(np.array([BOUND + 1]), np.array([2**30]), np.array([-1]))
    with pytest.raises(ModelError):
        requantize_q31_split(np.array([5]), np.array([2**30]), np.array([0]))


def _layer_model(bias: int, sizes: list[int], seed: int = 3):  # type: ignore[no-untyped-def]
    model = synthetic_model("split", sizes, seed)
    model.layers[0].bias = np.full(sizes[1], bias, np.int64)
    return model


@pytest.mark.parametrize("kernel", ["b8", "b8w"])
@pytest.mark.parametrize("requant", ["q31", "auto"])
def test_generator_takes_the_split_path_within_the_bound(kernel: str, requant: str) -> None:
    # FC 640 -> 128 needs Q31 under auto (its bound leaves MUL32 too few bits).
    model = configure(synthetic_model("split", [640, 128], 3), Settings(kernel=kernel, requant=requant, int4="off"))
    layer = model.layers[0]
    assert layer.requant.mode == "q31"
    assert kernel_fn(layer) == f"m0nn_fc_s8_{kernel}_q31_split"
    text = render_model_header(model, "test")
    assert f"m0nn_fc_s8_{kernel}_q31_split" in text and "no 64-bit multiply" in text


def test_generator_keeps_the_64_bit_multiply_just_past_the_bound() -> None:
    w_sum = int(np.abs(synthetic_model("split", [4, 2], 5).layers[0].weights.astype(np.int64)).sum(axis=1).max())
    for bias, split in ((BOUND - 128 * w_sum, True), (BOUND - 128 * w_sum + 1, False)):
        model = _layer_model(bias, [4, 2], 5)
        layer = model.layers[0]
        bound = int(accumulator_bound(layer.effective_weights, layer.bias).max())
        configure(model, Settings(kernel="b8", requant="q31", int4="off"))
        assert kernel_fn(layer).endswith("_q31_split") == split, bound
        assert bound == (BOUND if split else BOUND + 1)
        text = render_model_header(model, "test")
        assert ("no 64-bit multiply" in text) == split and ("64-bit multiply (the split path" in text) != split


def test_reference_kernel_and_left_shifts_keep_the_64_bit_multiply() -> None:
    model = configure(synthetic_model("split", [640, 128], 3), Settings(kernel="ref", requant="q31"))
    assert kernel_fn(model.layers[0]) == "m0nn_fc_s8"
    model = configure(synthetic_model("split", [16, 4], 3), Settings(kernel="b8", requant="q31", int4="off"))
    model.layers[0].real_multiplier = np.full(4, 0.75)  # shift 0
    configure(model, Settings(kernel="b8", requant="q31", int4="off"))
    assert kernel_fn(model.layers[0]) == "m0nn_fc_s8_b8_q31"


def test_golden_requant_header_is_current() -> None:
    committed = (ROOT / "test" / "test_requant" / "golden_requant.h").read_text()
    same_text(golden_requant.render(), committed, "golden_requant.h", "m0nn golden")
