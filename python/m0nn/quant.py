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
    for a shift of -31 becomes (0, 0): every output is then the zero point. One
    of 2^30 or more saturates to (2^31 - 1, 30), as TFLite's does; whether a
    layer's accumulators survive that left shift is m0nn.legal's check.

    >>> quantize_multiplier(0.5)
    (1073741824, 0)
    >>> quantize_multiplier(0.25)
    (1073741824, -1)
    >>> quantize_multiplier(1.0 - 2.0**-40)
    (1073741824, 1)
    >>> quantize_multiplier(2.0**-40)
    (0, 0)
    >>> quantize_multiplier(2.0**31)
    (2147483647, 30)
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
        return INT32_MAX, Q31_SHIFT_MAX
    return int(q), int(exponent)


def quantize_multiplier_narrow(real: float, bits: int) -> tuple[int, int]:
    """A multiplier of at most `bits` bits for the single 32-bit multiply:
    real ~= m * 2^shift with m < 2^bits and shift in [-31, -1], m rounded half up.
    A multiplier that rounds up to 2^bits is halved with the shift one lower;
    where that would leave no right shift (the kernels' MUL32 needs one), it
    does not fit `bits` bits.

    >>> quantize_multiplier_narrow(0.3, 8)
    (154, -9)
    >>> quantize_multiplier_narrow(0.5, 1)
    (1, -1)
    >>> quantize_multiplier_narrow(511.9, 11)
    (1024, -1)
    >>> quantize_multiplier_narrow(511.9, 10)
    Traceback (most recent call last):
    m0nn.errors.ModelError: requantization multiplier 511.9 does not fit 10 bits with a right shift
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
    if right < 1:
        raise ModelError(f"requantization multiplier {real:g} does not fit {bits} bits with a right shift")
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


# The Q31 split path (m0nn_requantize_q31_split): requantize_q31 from 16x16-bit
# products, for |acc| <= Q31_SPLIT_ACC_MAX and right shifts only (docs/numerics.md,
# "Q31 without the 64-bit multiply").
Q31_SPLIT_ACC_MAX = 2**30 - 1
Q31_SPLIT_SHIFT_MAX = -1
# The largest |offset| the split helper adds (C's offset is the output offset, [-128, 255]).
Q31_SPLIT_OFFSET_MAX = 2**30


def q31_split_fits(bound: int, shift: Ints) -> bool:
    """Whether a Q31 layer may take the split path: every reachable |acc| is at
    most Q31_SPLIT_ACC_MAX (`bound`, from accumulator_bound) and every shift is
    a right shift (in [-31, -1]). The inequality the generator checks.

    >>> q31_split_fits(2**30 - 1, np.array([-31, -1])), q31_split_fits(2**30, np.array([-5]))
    (True, False)
    >>> q31_split_fits(100, np.array([-3, 0]))
    False
    """
    s = np.asarray(shift, dtype=np.int64)
    return bool(0 <= bound <= Q31_SPLIT_ACC_MAX and s.size > 0 and s.min() >= Q31_SHIFT_MIN and s.max() <= -1)


def requantize_q31_split(acc: Ints, multiplier: Ints, shift: Ints, offset: Ints | int = 0) -> I64:
    """m0nn_requantize_q31_split step by step, each intermediate checked to fit
    int32 as the C code needs; equal to requantize_q31 plus `offset` (the output
    offset the C helper's last ADCS adds) on its domain (the tests check it there
    and at its edges). Raises outside the domain.

    >>> requantize_q31_split(np.array([3, -3, 2**30 - 1]), np.array(2**30), np.array(-1)).tolist()
    [1, -1, 268435456]
    >>> requantize_q31_split(np.array([3, -3]), np.array(2**30), np.array(-1), 255).tolist()
    [256, 254]
    """
    acc, m, s, off = (np.asarray(v, dtype=np.int64) for v in (acc, multiplier, shift, offset))
    if np.any(np.abs(acc) > Q31_SPLIT_ACC_MAX) or np.any((s < Q31_SHIFT_MIN) | (s > Q31_SPLIT_SHIFT_MAX)):
        raise ModelError("the Q31 split path needs |acc| < 2^30 and a shift in [-31, -1]")
    if np.any((m < 0) | (m > INT32_MAX)):
        raise ModelError("Q31 multiplier outside [0, 2^31 - 1]")
    if np.any(np.abs(off) > Q31_SPLIT_OFFSET_MAX):
        raise ModelError("the Q31 split path adds an offset of at most 2^30 in magnitude")
    xl = ((acc & 0xFFFF) ^ 0x8000) - 0x8000  # SXTH
    xh = (acc - xl) >> 16
    ml, mh = m & 0xFFFF, m >> 16  # the two halfwords of the multiplier (LDRH, LDRH)
    steps = [xl * ml, xl * mh, xh * ml, xh * mh]
    t = ((xl * ml) >> 16) + xl * mh
    steps.append(t)
    s_sum = t + xh * ml
    steps += [s_sum, 2 * xh * mh - (acc < 0)]
    g = 2 * xh * mh - (acc < 0) + (s_sum >> 15) + ((s_sum >> 14) & 1)
    steps.append(g)
    r = -s
    y = (g >> r) + off + ((g >> (r - 1)) & 1)  # ASRS by r, ADCS of the offset and the carry
    steps.append(y)
    if any(np.any((v < INT32_MIN) | (v > INT32_MAX)) for v in steps):
        raise ModelError("an intermediate of the Q31 split path leaves int32")  # the proof says it cannot
    return y


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
    product = acc * multiplier
    total = product + (np.int64(1) << (right - 1))
    if np.any((product < INT32_MIN) | (total > INT32_MAX)):
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
        try:
            m, shift = quantize_multiplier_narrow(real, bits)
        except ModelError:  # rounds up to 2^bits with no right shift left: try narrower
            continue
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


# Raw sensor integers in, real values out: the conversions around a model.
#
# A sensor gives integers `raw` with real = raw_scale * (raw - raw_zero). The
# model's QuantizeLinear wants q = clamp(round(real / input_scale) + zp). On the
# device that is one 32-bit multiply:
#   x = (clamp(raw, raw_min, raw_max) - raw_zero) >> pre_shift       (floor)
#   q = clamp(round_half_even(x * m / 2^r) + zp, q_min, q_max)       (the model's input range)
# with m / 2^(r + pre_shift) ~ raw_scale / input_scale. raw_min and raw_max are the
# raw values beyond which q saturates anyway, so clamping there changes no result
# and bounds |x|: |x| * m + 2^(r-1) < 2^31, no 64-bit product, for int16 and int32
# raw values alike. pre_shift is 0 unless the raw range is so wide (a ratio below
# about 2^-16) that m would keep fewer than MIN_RAW_BITS bits; it then drops low raw
# bits worth less than ratio * 2^pre_shift (about 2^-7) of an input step.

Q16_FRAC_BITS = 16
MIN_RAW_BITS = 16


@dataclass(frozen=True)
class RawInput:
    """The constants of m0nn_quantize_s16/_s32 (m0nn_quantize_params_t)."""

    raw_min: int
    raw_max: int
    raw_zero: int
    pre_shift: int  # in [0, 31]: a right shift of raw - raw_zero before the multiply
    multiplier: int
    shift: int  # in [-31, -1]: a right shift, rounding half to even
    zero_point: int
    q_min: int = -128  # the model input's clamp (narrower for 7-bit activations)
    q_max: int = 127


@dataclass(frozen=True)
class OutputQ16:
    """The constants of m0nn_dequantize_q16 (m0nn_dequantize_params_t)."""

    zero_point: int
    multiplier: int
    shift: int  # in [-31, -1]


def shift_round_half_even(p: Ints, right: int) -> I64:
    """round_half_even(p / 2^right), right >= 1, in integers (what the C code computes):
    floor((p + 2^(right-1) - 1 + bit0(floor(p / 2^right))) / 2^right).

    >>> shift_round_half_even(np.array([1, 2, 3, 5, 6, -1, -2, -3, -6]), 2).tolist()
    [0, 0, 1, 1, 2, 0, 0, -1, -2]
    """
    p = np.asarray(p, dtype=np.int64)
    return (p + (np.int64(1) << (right - 1)) - 1 + ((p >> right) & 1)) >> right


def _round_he(p: int, right: int) -> int:
    return (p + (1 << (right - 1)) - 1 + ((p >> right) & 1)) >> right


def _first_at_least(m: int, right: int, t: int) -> int:
    """The smallest x with round_half_even(x * m / 2^right) >= t (m >= 1)."""
    num = (2 * t - 1) << (right - 1)  # (t - 1/2) * 2^right
    x = -((-num) // m)  # ceil
    while _round_he((x - 1) * m, right) >= t:
        x -= 1
    while _round_he(x * m, right) < t:
        x += 1
    return x


def _last_at_most(m: int, right: int, s: int) -> int:
    """The largest x with round_half_even(x * m / 2^right) <= s (m >= 1)."""
    x = ((2 * s + 1) << (right - 1)) // m  # floor((s + 1/2) * 2^right / m)
    while _round_he((x + 1) * m, right) <= s:
        x += 1
    while _round_he(x * m, right) > s:
        x -= 1
    return x


def _positive_scale(value: float, what: str) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ModelError(f"{what} {value!r} is not a finite positive number")
    return float(value)


def _raw_fit(ratio: float, zero: int, zp: int, pre: int, q_min: int, q_max: int) -> RawInput | None:
    """The widest multiplier (largest right shift <= 31) for a pre-shift, or None."""
    for right in range(31, 0, -1):
        m = math.floor(math.ldexp(ratio, right + pre) + 0.5)
        if m >= 2**31 or m == 0:
            continue
        # Saturation points in x' = x >> pre, then in raw: x' = v covers x in [v 2^pre, v 2^pre + 2^pre - 1].
        lo = (_last_at_most(m, right, q_min - zp) << pre) + (1 << pre) - 1 + zero
        hi = (_first_at_least(m, right, q_max - zp) << pre) + zero
        lo = max(lo, INT32_MIN, zero - INT32_MAX)  # raw - raw_zero stays within int32
        hi = min(hi, INT32_MAX, zero + INT32_MAX)
        bound = max(abs((lo - zero) >> pre), abs((hi - zero) >> pre))
        if bound * m + (1 << (right - 1)) <= INT32_MAX:
            return RawInput(lo, hi, zero, pre, m, -right, zp, q_min, q_max)
    return None


def raw_input_params(
    raw_scale: float, raw_zero: int, input_scale: float, input_zero_point: int, q_min: int = -128, q_max: int = 127
) -> RawInput:
    """Constants converting raw integers (real = raw_scale * (raw - raw_zero)) to a model
    input with `input_scale` and `input_zero_point`, clamped to [q_min, q_max] (the
    model's input range): no pre-shift if the multiplier then keeps MIN_RAW_BITS bits
    (or is exact), else the smallest one that does.

    >>> p = raw_input_params(0.25, 0, 1.0, 0)  # raw / 4: m / 2^r is exactly 1/4
    >>> p.raw_min, p.raw_max, p.pre_shift, p.multiplier, p.shift
    (-510, 507, 0, 2097152, -23)
    >>> raw_input_params(2.0**-24, 0, 1.0, 0).pre_shift  # a 32-bit range onto 256 steps
    1
    """
    ratio = _positive_scale(raw_scale, "raw input scale") / _positive_scale(input_scale, "model input scale")
    if int(raw_zero) != raw_zero or not INT32_MIN <= raw_zero <= INT32_MAX:
        raise ModelError(f"raw input zero point {raw_zero!r} is not an int32")
    if not -128 <= input_zero_point <= 127:
        raise ModelError(f"model input zero point {input_zero_point} is outside [-128, 127]")
    if not -128 <= q_min <= q_max <= 127:
        raise ModelError(f"model input range [{q_min}, {q_max}] is not within [-128, 127]")
    if ratio >= 2.0**30:
        raise ModelError(f"raw input scale / model input scale = {ratio:g} is 2^30 or more: one raw step saturates")
    zero = int(raw_zero)
    for pre in range(32):
        fit = _raw_fit(ratio, zero, input_zero_point, pre, q_min, q_max)
        if fit is None:
            continue
        exact = math.ldexp(ratio, -fit.shift + pre) == fit.multiplier
        if exact or fit.multiplier >= 2 ** (MIN_RAW_BITS - 1):
            return fit
    # A ratio below 2^-62: every raw value rounds to the zero point.
    return RawInput(zero, zero, zero, 0, 0, -1, input_zero_point, q_min, q_max)


def quantize_raw(raw: Ints, p: RawInput) -> I64:
    """m0nn_quantize_s16/_s32 in Python, bit for bit: raw integers to int8 model input.

    >>> quantize_raw(np.array([-6, -2, 2, 6, 2**31 - 1]), raw_input_params(0.25, 0, 1.0, 0)).tolist()
    [-2, 0, 0, 2, 127]
    """
    x = (np.clip(np.asarray(raw, dtype=np.int64), p.raw_min, p.raw_max) - p.raw_zero) >> p.pre_shift
    prod = x * p.multiplier
    if np.any((prod < INT32_MIN) | (prod + (1 << (-p.shift - 1)) > INT32_MAX)):
        raise ModelError("raw input conversion: the product overflows int32 (constants not from raw_input_params)")
    return np.clip(shift_round_half_even(prod, -p.shift) + p.zero_point, p.q_min, p.q_max)


def output_q16_params(output_scale: float, output_zero_point: int) -> OutputQ16:
    """Constants giving an int8 output's real value, output_scale * (q - zp), as a Q16.16
    int32 (real * 2^16, rounded half to even); the widest multiplier that keeps
    |q - zp| * m + 2^(r-1) within int32. Refused when |real| can reach 2^14.

    >>> output_q16_params(0.5, 0)  # 0.5 * 2^16 = 2^15, exactly
    OutputQ16(zero_point=0, multiplier=8388608, shift=-8)
    """
    real = _positive_scale(output_scale, "model output scale") * 2.0**Q16_FRAC_BITS
    if not -128 <= output_zero_point <= 127:
        raise ModelError(f"model output zero point {output_zero_point} is outside [-128, 127]")
    bound = max(abs(-128 - output_zero_point), abs(127 - output_zero_point))
    for right in range(31, 0, -1):
        m = math.floor(math.ldexp(real, right) + 0.5)
        if m < 2**31 and bound * m + (1 << (right - 1)) <= INT32_MAX:
            return OutputQ16(output_zero_point, m, -right)
    raise ModelError(
        f"output scale {output_scale:g} * {bound} does not fit Q16.16 with a 32-bit multiply (|real| >= 2^14)"
    )


def dequantize_q16(q: Ints, p: OutputQ16) -> I64:
    """m0nn_dequantize_q16 in Python, bit for bit: int8 outputs to Q16.16 real values.

    >>> dequantize_q16(np.array([-128, 0, 1, 127]), output_q16_params(0.5, 0)).tolist()
    [-4194304, 0, 32768, 4161536]
    """
    x = np.asarray(q, dtype=np.int64) - p.zero_point
    return shift_round_half_even(x * p.multiplier, -p.shift)


# -- Operators beyond the fully connected layer (conv graphs) -----------------------------

ADD_LEFT_SHIFT = 20  # TFLite's int8 Add: inputs are scaled by 2^20 before rescaling


def add_multipliers(scale_a: float, scale_b: float, scale_out: float) -> tuple[tuple[int, int], ...]:
    """TFLite's int8 Add constants: ((M_a, s_a), (M_b, s_b), (M_out, s_out)).

    Each input q - zp is shifted left by 20, rescaled to twice the larger input
    scale (M_x ~ scale_x / (2 max)), the two are summed and the sum is rescaled to
    the output (M_out ~ 2 max / (2^20 scale_out)); all with requantize_q31.

    >>> add_multipliers(0.5, 0.5, 1.0)
    ((1073741824, 0), (1073741824, 0), (1073741824, -19))
    """
    twice_max = 2.0 * max(scale_a, scale_b)
    return (
        quantize_multiplier(scale_a / twice_max),
        quantize_multiplier(scale_b / twice_max),
        quantize_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * scale_out)),
    )


def add_s8(
    a: Ints, b: Ints, zp_a: int, zp_b: int, zp_out: int, mults: tuple[tuple[int, int], ...], act: tuple[int, int]
) -> I64:
    """The int8 Add as m0nn_add_s8 computes it (int32 throughout, q31 rescaling)."""
    (ma, sa), (mb, sb), (mo, so) = (tuple(np.array(v, np.int64) for v in pair) for pair in mults)
    xa = (np.asarray(a, np.int64) - zp_a) << ADD_LEFT_SHIFT
    xb = (np.asarray(b, np.int64) - zp_b) << ADD_LEFT_SHIFT
    total: I64 = requantize_q31(xa, ma, sa) + requantize_q31(xb, mb, sb)
    y = requantize_q31(total, mo, so) + zp_out
    return np.clip(y, act[0], act[1])


def divide_round_away(total: Ints, count: Ints) -> I64:
    """TFLite's average: total / count rounded half away from zero (count > 0).

    >>> divide_round_away(np.array([5, -5, 4, -4]), np.array(2)).tolist()
    [3, -3, 2, -2]
    """
    total = np.asarray(total, np.int64)
    count = np.asarray(count, np.int64)
    mag = (np.abs(total) + count // 2) // count
    return np.where(total < 0, -mag, mag)


def reciprocal_u32(count: int, n_max: int) -> tuple[int, int]:
    """(m, k) with floor(n / count) == (n * m) >> k for every n in [0, n_max] and
    n_max * m < 2^32: a division by `count` as one 32-bit unsigned multiply and a
    shift (the M0 has no divider). Checked exhaustively; raises when no k works.

    >>> reciprocal_u32(3, 1000)
    (683, 11)
    """
    if count < 1:
        raise ModelError(f"pooling window of {count} elements")
    n = np.arange(n_max + 1, dtype=np.int64)
    for k in range(32):
        m = -(-(1 << k) // count)  # ceil(2^k / count)
        if n_max * m >= 2**32:
            break
        if np.array_equal((n * m) >> k, n // count):
            return int(m), k
    raise ModelError(f"no 32-bit reciprocal divides exactly by a window of {count} elements (too large)")


def average_window_reciprocals(max_count: int) -> list[tuple[int, int]]:
    """reciprocal_u32 for every window count 1..max_count; the kernels divide
    |sum| + count/2 with |sum| <= 255 * count (int8 values minus a zero point)."""
    return [reciprocal_u32(c, 255 * c + c // 2) for c in range(1, max_count + 1)]


def average_s8(total: Ints, count: Ints, recips: list[tuple[int, int]]) -> I64:
    """divide_round_away through the reciprocal table, as m0nn_avgpool_s8 does it."""
    total = np.asarray(total, np.int64)
    count = np.asarray(count, np.int64)
    m = np.array([r[0] for r in recips], np.int64)[count - 1]
    k = np.array([r[1] for r in recips], np.int64)[count - 1]
    mag = ((np.abs(total) + (count >> 1)) * m) >> k
    return np.where(total < 0, -mag, mag)


SOFTMAX_EXP_BITS = 15  # exp table entries in Q15: exp(0) = 32768
SOFTMAX_PROB_BITS = 15  # probabilities before the output scale, in Q15


def softmax_exp_table(input_scale: float) -> NDArray[np.int64]:
    """e[d] = round(exp(-input_scale * d) * 2^15) for d = max - x in 0..255."""
    d = np.arange(256, dtype=np.float64)
    return np.rint(np.exp(-input_scale * d) * (1 << SOFTMAX_EXP_BITS)).astype(np.int64)


def softmax_output_multiplier(output_scale: float) -> tuple[int, int]:
    """(m, right) with m / 2^right ~ 1 / (output_scale * 2^15), m < 2^16: the Q15
    probability times m fits 31 bits."""
    real = 1.0 / (output_scale * (1 << SOFTMAX_PROB_BITS))
    for right in range(31, -1, -1):
        m = math.floor(real * 2.0**right + 0.5)
        if m < 1 << 16:
            if m == 0:
                break
            return int(m), right
    raise ModelError(f"softmax output scale {output_scale!r} is outside the supported range")


def reciprocal_q31_u16(s: int) -> int:
    """floor(2^31 / s) for s in [2^15, 2^16), as the C kernel's shift-subtract loop."""
    return (1 << 31) // s


def softmax_s8(
    x: Ints, input_scale: float, output_scale: float, output_zero_point: int, act: tuple[int, int] = (-128, 127)
) -> I64:
    """Integer softmax over the last axis, as m0nn_softmax_s8 computes it:
    e_i = table[max - x_i] (Q15), S = sum e_i; S is normalised to 16 bits
    (S >> r in [2^15, 2^16)), R = floor(2^31 / (S >> r)); p_i = (e_i R) >> (16 + r)
    is the probability in Q15; y_i = zp + ((p_i m + 2^(k-1)) >> k), clamped."""
    x = np.asarray(x, np.int64)
    table = softmax_exp_table(input_scale)
    m, k = softmax_output_multiplier(output_scale)
    e = table[x.max(axis=-1, keepdims=True) - x]
    s = e.sum(axis=-1, keepdims=True)
    if np.any(s >= 2**31):
        raise ModelError("softmax row too long: the sum of exponentials overflows 31 bits")
    r = np.zeros_like(s)
    while np.any((s >> r) >= 1 << 16):
        r += ((s >> r) >= 1 << 16).astype(np.int64)
    recip = (np.int64(1) << 31) // (s >> r)
    p = (e * recip) >> (16 + r)
    y = ((p * m + (np.int64(1) << (k - 1) if k > 0 else 0)) >> k) + output_zero_point
    return np.clip(y, act[0], act[1])


def float_table(
    fn: object, input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int
) -> NDArray[np.int64]:
    """A 256-entry int8 table of a float function, computed as onnxruntime's QDQ
    graph does: dequantize in float32, the function in float32, QuantizeLinear
    (divide by the scale in float32, round half to even, add the zero point,
    saturate). Entry i is the output for the input q = i - 128."""
    q = np.arange(-128, 128, dtype=np.int64)
    x = (q - input_zero_point).astype(np.float32) * np.float32(input_scale)
    y = np.asarray(fn(x), dtype=np.float32)  # type: ignore[operator]
    scaled = y / np.float32(output_scale)
    return np.clip(np.rint(scaled).astype(np.int64) + output_zero_point, -128, 127)
