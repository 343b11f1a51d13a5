"""What the C kernels accept, checked on the host before a header is written.

`check_params` is m0nn_fc_s8_check (and m0nn_fc_s8_b8_check for the blocked
kernels) in Python, range for range, so a generated layer can never be one the
kernel rejects at run time. `check_layer` adds what the kernels do not check
but assume, proven from the layer's weights and bias: every accumulator fits
int32, and the requantization's own arithmetic (the Q31 left shift, the MUL32
product, the SHIFT rounding) stays within int32 for every reachable
accumulator. docs/numerics.md lists each range and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from m0nn.errors import ModelError
from m0nn.quant import INT32_MAX, Q31_SHIFT_MAX, Q31_SHIFT_MIN, Requant, accumulator_bound

MAX_SIZE = 65535
SHIFT_RANGE = {"q31": (Q31_SHIFT_MIN, Q31_SHIFT_MAX), "mul32": (-31, -1), "shift": (-31, 0)}


@dataclass(frozen=True)
class CParams:
    """The fields of m0nn_fc_s8_params_t as the generator writes them."""

    in_size: int
    out_size: int
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    requant: Requant
    blocked: bool
    weight_zero_point: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # empty: NULL


def check_params(p: CParams) -> None:
    """Raise ModelError (the problem, in one line) where m0nn_fc_s8_check or
    m0nn_fc_s8_b8_check would return an error status.

    >>> rq = Requant("mul32", np.array([512]), np.array([0]))
    >>> check_params(CParams(130, 2, 0, 0, -128, 127, rq, True))
    Traceback (most recent call last):
    m0nn.errors.ModelError: shift 0 is outside [-31, -1] for mul32 (the kernel would return M0NN_ERR_QUANT)
    """
    if not (1 <= p.in_size <= MAX_SIZE and 1 <= p.out_size <= MAX_SIZE):
        raise ModelError(f"size {p.in_size} -> {p.out_size} is outside [1, {MAX_SIZE}] (M0NN_ERR_SIZE)")
    if not -127 <= p.input_offset <= 128:
        raise ModelError(f"input offset {p.input_offset} is outside [-127, 128] (M0NN_ERR_OFFSET)")
    if not -128 <= p.output_offset <= 255:
        raise ModelError(f"output offset {p.output_offset} is outside [-128, 255] (M0NN_ERR_OFFSET)")
    top = 127 if p.act_min < 0 else 255
    if not (-128 <= p.act_min <= p.act_max <= top):
        raise ModelError(f"clamp [{p.act_min}, {p.act_max}] is empty or outside the output type (M0NN_ERR_OFFSET)")
    rq = p.requant
    if rq.mode not in SHIFT_RANGE:
        raise ModelError(f"unknown requantization {rq.mode!r} (M0NN_ERR_QUANT)")
    if rq.shift.size not in (1, p.out_size) or (rq.mode != "shift" and rq.multiplier.size != rq.shift.size):
        raise ModelError(f"{rq.shift.size} shifts for {p.out_size} outputs (per tensor: 1; per channel: one each)")
    lo, hi = SHIFT_RANGE[rq.mode]
    for s in rq.shift.tolist():
        if not lo <= s <= hi:
            raise ModelError(
                f"shift {s} is outside [{lo}, {hi}] for {rq.mode} (the kernel would return M0NN_ERR_QUANT)"
            )
    if rq.mode != "shift":
        for m in rq.multiplier.tolist():
            if not 0 <= m <= INT32_MAX:
                raise ModelError(f"multiplier {m} is outside [0, 2^31 - 1] (M0NN_ERR_QUANT)")
    z = p.weight_zero_point
    if z.size and (z.size not in (1, rq.shift.size) or z.min() < -128 or z.max() > 127):
        raise ModelError(
            f"weight zero points {z.tolist()[:4]}... are not 1 or one per channel in [-128, 127] (M0NN_ERR_OFFSET)"
        )
    if p.blocked and p.input_offset != 0:
        raise ModelError("a blocked kernel needs input offset 0 (M0NN_ERR_OFFSET)")


def check_arithmetic(weights: np.ndarray, bias: np.ndarray, folded_bias: np.ndarray, rq: Requant) -> None:
    """Raise where a reachable accumulator (any int8 input) would leave int32
    in the accumulation or in the requantization's arithmetic.

    >>> w, b = np.full((1, 4), 127), np.zeros(1, np.int64)
    >>> check_arithmetic(w, b, b, Requant("q31", np.array([2**30]), np.array([16])))
    Traceback (most recent call last):
    m0nn.errors.ModelError: channel 0: |acc| up to 65024 times 2^16 (the q31 left shift) leaves int32
    """
    bound = accumulator_bound(weights, bias)
    if int(bound.max()) > INT32_MAX:
        raise ModelError(f"the int32 accumulator can overflow (|acc| up to {int(bound.max())} > 2^31 - 1)")
    if folded_bias.size and int(np.abs(np.asarray(folded_bias, np.int64)).max()) > INT32_MAX:
        raise ModelError(f"the folded bias does not fit int32 ({int(np.abs(folded_bias).max())})")
    per_channel = rq.shift.size > 1
    for c in range(bound.size if per_channel else 1):
        b = int(bound[c]) if per_channel else int(bound.max())
        s = int(rq.shift[c if per_channel else 0])
        if rq.mode == "q31" and s > 0 and b << s > INT32_MAX:
            raise ModelError(f"channel {c}: |acc| up to {b} times 2^{s} (the q31 left shift) leaves int32")
        if rq.mode == "mul32":
            m = int(rq.multiplier[c if per_channel else 0])
            if b * m + (1 << (-s - 1)) > INT32_MAX:
                raise ModelError(f"channel {c}: |acc| up to {b} times multiplier {m} leaves int32 (mul32)")
        if rq.mode == "shift" and s < 0 and b + (1 << (-s - 1)) > INT32_MAX:
            raise ModelError(f"channel {c}: |acc| up to {b} plus the rounding leaves int32 (shift)")
