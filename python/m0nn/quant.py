"""The one place m0nn computes requantization constants and integer rounding.

Everything that turns a real multiplier into integers (M, shift) or an int32
accumulator into an int8 value lives here; the code generator, the integer
reference and the tests all call these functions (docs/numerics.md states the
same formulas in prose).

Conventions (TFLite / CMSIS-NN): real = scale * (q - zero_point); weights are
symmetric (zero point 0); the requantization multiplier of output channel c is
real_multiplier[c] = input_scale * weight_scale[c] / output_scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from m0nn.errors import ModelError

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
Q31_SHIFT_MIN = -31
Q31_SHIFT_MAX = 30

I64 = NDArray[np.int64]
Ints = NDArray[np.integer]


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real ~= M * 2^(shift - 31), M in [2^30, 2^31).

    The significand is rounded half away from zero (std::round); one that rounds
    up to 2^31 becomes 2^30 with the exponent one higher. A multiplier too small
    for a shift of -31 becomes (0, 0): every output is then the zero point.

    >>> quantize_multiplier(0.5)
    (1073741824, 0)
    >>> quantize_multiplier(0.25)
    (1073741824, -1)
    >>> quantize_multiplier(1.0 - 2.0**-40)
    (1073741824, 1)
    >>> quantize_multiplier(2.0**-40)
    (0, 0)
    """
    if not math.isfinite(real) or real < 0:
        raise ModelError(f"requantization multiplier {real!r} is not a finite non-negative number")
    if real == 0.0:
        return 0, 0
    significand, exponent = math.frexp(real)  # real = significand * 2^exponent, in [0.5, 1)
    q = math.floor(significand * 2.0**31 + 0.5)  # exact: scaling by 2^31 loses no bits
    if q == 2**31:
        q //= 2
        exponent += 1
    if exponent < Q31_SHIFT_MIN:
        return 0, 0
    if exponent > Q31_SHIFT_MAX:
        raise ModelError(f"requantization multiplier {real:g} is too large (>= 2^{Q31_SHIFT_MAX})")
    return int(q), int(exponent)


def quantize_multiplier_narrow(real: float, bits: int) -> tuple[int, int]:
    """A multiplier of at most `bits` bits for the single 32-bit multiply:
    real ~= m * 2^shift with m < 2^bits and shift in [-31, -1], m rounded half up.

    >>> quantize_multiplier_narrow(0.3, 8)
    (154, -9)
    >>> quantize_multiplier_narrow(0.5, 1)
    (1, -1)
    """
    if not 1 <= bits <= 31:
        raise ModelError(f"multiplier width {bits} is outside [1, 31] bits")
    if not math.isfinite(real) or real < 0:
        raise ModelError(f"requantization multiplier {real!r} is not a finite non-negative number")
    if real == 0.0:
        return 0, 0
    if real >= 2.0 ** (bits - 1):
        raise ModelError(f"requantization multiplier {real:g} does not fit {bits} bits with a right shift")
    # The largest right shift whose rounded multiplier still fits `bits` bits.
    right = min(31, bits - math.frexp(real)[1])
    m = math.floor(real * 2.0**right + 0.5)
    if m >= 2**bits:
        right -= 1
        m = math.floor(real * 2.0**right + 0.5)
    return int(m), -int(right)


@dataclass(frozen=True)
class Requant:
    """Per-layer requantization constants, as the C kernel consumes them."""

    mode: str  # "q31", "mul32" or "shift" (multiplier unused, all ones)
    multiplier: NDArray[np.int32]
    shift: NDArray[np.int32]

    @property
    def per_channel(self) -> bool:
        return self.multiplier.size > 1


def requantize_q31(acc: Ints, multiplier: Ints, shift: Ints) -> I64:
    """TFLite's MultiplyByQuantizedMultiplier, exactly (see m0nn_requantize_q31).

    >>> requantize_q31(np.array([3, -3]), np.array(2**30), np.array(0)).tolist()
    [2, -1]
    >>> requantize_q31(np.array([2, -2]), np.array(2**30), np.array(-1)).tolist()
    [1, -1]
    """
    acc = np.asarray(acc, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    x = acc << left
    if np.any((x < INT32_MIN) | (x > INT32_MAX)):
        raise ModelError("accumulator overflows int32 after the left shift of the requantization")
    high = (x * multiplier + (1 << 30)) >> 31
    mask = (np.int64(1) << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + (remainder > threshold)


def requantize_mul32(acc: Ints, multiplier: Ints, shift: Ints) -> I64:
    """One 32-bit multiply, rounded half up: floor((acc * m + 2^(r-1)) / 2^r), r = -shift in [1, 31].

    Raises when a product would not fit int32, the condition under which the C
    kernel's 32-bit arithmetic equals this one.

    >>> requantize_mul32(np.array([3, -3]), np.array(1), np.array(-1)).tolist()
    [2, -1]
    """
    acc = np.asarray(acc, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    right = -np.asarray(shift, dtype=np.int64)
    if np.any((right < 1) | (right > 31)):
        raise ModelError("the 32-bit requantization needs a right shift in [1, 31]")
    total = acc * multiplier + (np.int64(1) << (right - 1))
    if np.any((total < INT32_MIN) | (total > INT32_MAX)):
        raise ModelError("accumulator times multiplier overflows int32 on the 32-bit requantization path")
    return total >> right


def requantize(acc: Ints, rq: Requant) -> I64:
    """Apply a layer's requantization to accumulators shaped [..., out]."""
    if rq.mode == "q31":
        return requantize_q31(acc, rq.multiplier, rq.shift)
    if rq.mode == "mul32":
        return requantize_mul32(acc, rq.multiplier, rq.shift)
    if rq.mode == "shift":
        return requantize_shift(acc, rq.shift)
    raise ModelError(f"unknown requantization mode {rq.mode!r} (q31, mul32, shift)")


def quantize(x: NDArray[np.floating], scale: float, zero_point: int, qmin: int = -128, qmax: int = 127) -> I64:
    """Float to integer as ONNX QuantizeLinear and PyTorch do: round half to even, clamp."""
    q = np.rint(np.asarray(x, dtype=np.float64) / scale) + zero_point
    return np.clip(q, qmin, qmax).astype(np.int64)


def dequantize(q: NDArray[np.integer], scale: float | NDArray[np.floating], zero_point: int = 0) -> NDArray[np.float64]:
    return (np.asarray(q, dtype=np.float64) - zero_point) * scale


def accumulator_bound(weights: NDArray[np.integer], bias: NDArray[np.integer], input_max_abs: int = 128) -> I64:
    """Per output channel, the largest |acc| any int8 input can produce:
    |bias[o]| + input_max_abs * sum_i |w[o, i]| (the input zero point is folded
    into the bias, so inputs span [-128, 127])."""
    w = np.abs(np.asarray(weights, dtype=np.int64)).sum(axis=1)
    return np.abs(np.asarray(bias, dtype=np.int64)) + input_max_abs * w


def narrow_multiplier_for_bound(real: float, bound: int, max_bits: int = 31) -> tuple[int, int, int]:
    """The most precise (m, shift, bits) for the single 32-bit multiply such that
    bound * m + 2^(r-1) < 2^31 (r = -shift): no reachable accumulator overflows.

    >>> narrow_multiplier_for_bound(0.001, 2**20)
    (1049, -20, 11)
    """
    for bits in range(max_bits, 0, -1):
        if real >= 2.0 ** (bits - 1):
            continue
        m, shift = quantize_multiplier_narrow(real, bits)
        rounding = 1 << (-shift - 1) if shift < 0 else 0
        if bound * m + rounding <= INT32_MAX:
            return m, shift, bits
    raise ModelError(f"no multiplier width keeps |acc| <= {bound} times the multiplier within int32")


def requantize_shift(acc: Ints, shift: Ints) -> I64:
    """A power-of-two scale, no multiply: floor((acc + 2^(r-1)) / 2^r), r = -shift.

    >>> requantize_shift(np.array([3, -3, 4]), np.array(-1)).tolist()
    [2, -1, 2]
    """
    acc = np.asarray(acc, dtype=np.int64)
    right = -np.asarray(shift, dtype=np.int64)
    total = acc + np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
    if np.any((total < INT32_MIN) | (total > INT32_MAX)):
        raise ModelError("accumulator plus rounding overflows int32 on the shift-only requantization path")
    return total >> right


def power_of_two_shift(real: float) -> int:
    """The shift of the power of two nearest to `real` in the log domain, in [-31, 0].

    >>> power_of_two_shift(0.3), power_of_two_shift(0.36), power_of_two_shift(2.0**-40)
    (-2, -1, -31)
    """
    if not math.isfinite(real) or real <= 0:
        raise ModelError(f"requantization multiplier {real!r} is not a finite positive number")
    shift = round(math.log2(real))
    if shift > 0:
        raise ModelError(f"requantization multiplier {real:g} needs a left shift; shift-only supports <= 1")
    return max(shift, -31)
