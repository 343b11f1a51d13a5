"""The requantization math against independent formulations."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from m0nn import legal
from m0nn.errors import ModelError
from m0nn.quant import (
    Requant,
    accumulator_bound,
    narrow_multiplier_for_bound,
    quantize_multiplier,
    quantize_multiplier_narrow,
    requantize_mul32,
    requantize_q31,
)


def gemmlowp_reference(acc: int, m: int, shift: int) -> int:
    """gemmlowp as TFLite writes it: sign-dependent nudge, truncating division,
    then RoundingDivideByPOT. Python integers, no numpy."""
    left, right = max(shift, 0), max(-shift, 0)
    a = acc * (1 << left)
    ab = a * m
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    num = ab + nudge
    high = abs(num) // (1 << 31) * (1 if num >= 0 else -1)  # C's truncating division
    mask = (1 << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if remainder > threshold else 0)


def test_q31_matches_gemmlowp_on_random_and_edge_values() -> None:
    rng = np.random.default_rng(1)
    accs = list(rng.integers(-(2**24), 2**24, 3000)) + [0, 1, -1, 2**30, -(2**30), 2**31 - 1, -(2**31)]
    for acc in accs:
        m = int(rng.integers(2**30, 2**31))
        s = int(rng.integers(-31, 1))
        got = int(requantize_q31(np.array([acc]), np.array(m), np.array(s))[0])
        assert got == gemmlowp_reference(int(acc), m, s), (acc, m, s)


def test_q31_left_shift_and_overflow() -> None:
    assert int(requantize_q31(np.array([3]), np.array(2**30), np.array(2))[0]) == gemmlowp_reference(3, 2**30, 2)
    with pytest.raises(ModelError, match="overflows"):
        requantize_q31(np.array([2**29]), np.array(2**30), np.array(2))


@pytest.mark.parametrize("real", [1e-9, 3.1e-5, 0.0007, 0.25, 0.5, 0.999999, 1.0, 3.7, 1000.5])
def test_quantize_multiplier_is_accurate(real: float) -> None:
    m, s = quantize_multiplier(real)
    assert 2**30 <= m < 2**31
    assert abs(m * 2.0 ** (s - 31) - real) <= real * 2.0**-31


def test_quantize_multiplier_edges() -> None:
    assert quantize_multiplier(0.0) == (0, 0)
    assert quantize_multiplier(2.0**-33) == (0, 0)
    assert quantize_multiplier(1.0 - 2.0**-40) == (2**30, 1)
    # 2^30 and beyond saturate as TFLite's QuantizeMultiplier does (issue 13, item 5).
    assert quantize_multiplier(2.0**30) == quantize_multiplier(2.0**31) == (2**31 - 1, 30)
    assert quantize_multiplier(2.0**30 - 1) == (2**31 - 2, 30)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ModelError):
            quantize_multiplier(bad)


@pytest.mark.parametrize("bits", [1, 4, 8, 12, 16, 24])
def test_narrow_multiplier_fits_and_is_accurate(bits: int) -> None:
    rng = np.random.default_rng(bits)
    for real in rng.uniform(1e-6, 0.9, 200):
        try:
            m, s = quantize_multiplier_narrow(float(real), bits)
        except ModelError:  # rounds up to 2^bits even with a right shift of 1
            assert real * 2 + 0.5 >= 2**bits
            continue
        assert 0 <= m < 2**bits and -31 <= s <= -1
        if -s < 31:  # not limited by the largest shift
            assert abs(m * 2.0**s - real) <= real * 2.0 ** -(bits - 1)


@pytest.mark.parametrize("bits", range(1, 32))
def test_narrow_multiplier_never_loses_its_right_shift(bits: int) -> None:
    """Issue 13, item 1: a multiplier rounding up to 2^bits used to come back
    with shift 0, which every MUL32 kernel rejects at run time."""
    top = 2.0 ** (bits - 1)
    for real in (top - 0.1, top - 0.25, top - 0.26, top * 0.75, top * 0.999):
        try:
            m, s = quantize_multiplier_narrow(real, bits)
        except ModelError:
            continue
        assert -31 <= s <= -1 and 0 <= m < 2**bits
        legal.check_params(legal.CParams(1, 1, 0, 0, -128, 127, Requant("mul32", np.array([m]), np.array([s])), True))


def test_issue_repro_multiplier_511_9_has_no_narrow_form() -> None:
    """The issue's Gemm 130->2 (weights 127): no width keeps 511.9 exact."""
    with pytest.raises(ModelError, match="no multiplier width"):
        narrow_multiplier_for_bound(511.9, 130 * 127 * 128)
    assert narrow_multiplier_for_bound(511.9, 1000)[1] <= -1


def test_mul32_is_round_half_up_of_the_exact_product() -> None:
    rng = np.random.default_rng(7)
    for _ in range(2000):
        acc = int(rng.integers(-(2**15), 2**15))
        m = int(rng.integers(0, 2**15))
        r = int(rng.integers(1, 32))
        want = math.floor(Fraction(acc * m, 2**r) + Fraction(1, 2))
        assert int(requantize_mul32(np.array([acc]), np.array(m), np.array(-r))[0]) == want


def test_mul32_needs_a_right_shift() -> None:
    with pytest.raises(ModelError, match=r"right shift in \[1, 31\]"):
        requantize_mul32(np.array([5]), np.array(3), np.array(0))


def test_mul32_refuses_overflow() -> None:
    with pytest.raises(ModelError, match="overflows int32"):
        requantize_mul32(np.array([2**20]), np.array(2**12), np.array(-4))


def test_accumulator_bound_is_attained() -> None:
    w = np.array([[127, -128, 5]], dtype=np.int8)
    b = np.array([-1000], dtype=np.int32)
    bound = int(accumulator_bound(w, b)[0])
    x = np.array([-128, 127, -128])  # signs against the weights and the bias
    assert abs(int(x @ w[0].astype(np.int64)) + int(b[0])) <= bound
    assert bound == 1000 + 128 * (127 + 128 + 5)
