"""Golden vectors for the C tests of m0nn_fc_s8, from the integer reference.

Cases are data: each names what it pins down. The header is deterministic (a
fixed seed), starts with its provenance, and a pytest check keeps the committed
copy equal to a fresh rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from m0nn import __version__
from m0nn.layout import (
    PAIRS_MAX_IN,
    block4,
    block8,
    block8_bias,
    offset_binary,
    pairs4,
    pairs_bias,
    pairs_fit,
    pairs_refit,
    pairs_weights,
)
from m0nn.quant import Requant, accumulator_bound, power_of_two_shift, quantize_multiplier, quantize_multiplier_narrow
from m0nn.reference import fc_s8_raw

SEED = 20261129


@dataclass
class FCCase:
    name: str
    x: NDArray[np.int8]
    weights: NDArray[np.int8]
    bias: NDArray[np.int32] | None
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    requant: Requant
    out_u8: bool = False  # offset-binary output: zero point and clamp + 128
    weight_zero_point: NDArray[np.int32] | None = None  # applied by the kernels (as many as multipliers)

    def effective_weights(self) -> NDArray[np.int64]:
        w = self.weights.astype(np.int64)
        if self.weight_zero_point is None:
            return w
        return w - np.broadcast_to(self.weight_zero_point.astype(np.int64), (w.shape[0],))[:, None]

    def folded_bias(self) -> NDArray[np.int32]:
        """The blocked kernels' bias (input_offset and the input's 128 folded in)."""
        b = block8_bias(self.bias, self.effective_weights(), self.input_offset)
        assert np.abs(b).max() < 2**31, self.name
        return b.astype(np.int32)

    def expected(self) -> NDArray[np.int8]:
        """The output bytes (offset-binary ones shown as the int8 with the same bits)."""
        y = fc_s8_raw(
            self.x, self.weights, self.bias, self.input_offset, self.output_offset,
            self.act_min, self.act_max, self.requant, self.name, self.weight_zero_point,
        )  # fmt: skip
        return offset_binary(y).view(np.int8) if self.out_u8 else y


def _q31(reals: list[float]) -> Requant:
    pairs = [quantize_multiplier(r) for r in reals]
    return Requant("q31", np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32))


def _raw(mode: str, m: list[int], s: list[int]) -> Requant:
    return Requant(mode, np.array(m, np.int32), np.array(s, np.int32))


def cases() -> list[FCCase]:
    rng = np.random.default_rng(SEED)

    def r8(*shape: int, lo: int = -128, hi: int = 127) -> NDArray[np.int8]:
        return rng.integers(lo, hi + 1, size=shape).astype(np.int8)

    def r32(n: int, mag: int) -> NDArray[np.int32]:
        return rng.integers(-mag, mag + 1, size=n).astype(np.int32)

    out: list[FCCase] = []
    add = out.append
    # Zero-point extremes: input zero point -128 and 127, output zero point -128 and 127.
    add(FCCase("input_zp_min", r8(24), r8(8, 24), r32(8, 5000), 128, 0, -128, 127, _q31([0.0007])))
    add(FCCase("input_zp_max", r8(24), r8(8, 24), r32(8, 5000), -127, 0, -128, 127, _q31([0.0007])))
    add(FCCase("output_zp_min", r8(16), r8(6, 16), r32(6, 500), 0, -128, -128, 127, _q31([0.002])))
    add(FCCase("output_zp_max", r8(16), r8(6, 16), r32(6, 500), 0, 127, -128, 127, _q31([0.002])))
    # Saturation: large products clamp at both ends.
    add(FCCase("saturate_high", np.full(32, 127, np.int8), np.full((4, 32), 127, np.int8), None, 0, 0,
               -128, 127, _q31([0.01])))  # fmt: skip
    add(FCCase("saturate_low", np.full(32, 127, np.int8), np.full((4, 32), -128, np.int8), None, 0, 0,
               -128, 127, _q31([0.01])))  # fmt: skip
    add(FCCase("saturate_both", r8(32), r8(16, 32), r32(16, 100000), 0, 0, -128, 127, _q31([0.05])))
    # Fused activations: ReLU at the zero point, a ReLU6-like upper clamp.
    add(FCCase("relu_clamp", r8(20), r8(12, 20), r32(12, 2000), 3, -20, -20, 127, _q31([0.003])))
    add(FCCase("relu6_clamp", r8(20), r8(12, 20), r32(12, 2000), 3, -128, -128, -60, _q31([0.003])))
    # Extreme shifts: -31 (largest right shift) and +30 (largest left shift, tiny accumulators).
    add(FCCase("shift_min", r8(64), r8(8, 64), r32(8, 2**31 - 2**21), 0, 0, -128, 127, _raw("q31", [2**31 - 1], [-31])))
    add(FCCase("shift_max", r8(1, lo=-1, hi=1), r8(4, 1, lo=-1, hi=1), np.array([0, 0, 1, -1], np.int32), 0, 0,
               -128, 127, _raw("q31", [3], [30])))  # fmt: skip
    add(FCCase("multiplier_zero", r8(8), r8(3, 8), r32(3, 100), 0, 5, -128, 127, _raw("q31", [0], [0])))
    # Rounding ties of both steps, with negative and positive accumulators.
    add(FCCase("ties", np.array([1], np.int8), np.arange(-8, 8, dtype=np.int8).reshape(16, 1), None, 0, 0,
               -128, 127, _raw("q31", [2**30], [-2])))  # fmt: skip
    # Depth 1, odd sizes, no bias.
    add(FCCase("depth_1", r8(1), r8(5, 1), r32(5, 300), 7, 1, -128, 127, _q31([0.4])))
    add(FCCase("odd_7x3", r8(7), r8(3, 7), r32(3, 999), -3, 2, -128, 127, _q31([0.01])))
    add(FCCase("odd_33x5", r8(33), r8(5, 33), r32(5, 9999), 11, -7, -128, 127, _q31([0.0013])))
    add(FCCase("no_bias", r8(16), r8(9, 16), None, 0, 0, -128, 127, _q31([0.004])))
    # Per-channel multipliers and shifts.
    add(FCCase("per_channel", r8(40), r8(10, 40), r32(10, 30000), 5, -3, -128, 127,
               _q31([float(v) for v in rng.uniform(1e-4, 5e-3, 10)])))  # fmt: skip
    add(FCCase("per_channel_left_shift", r8(4, lo=-2, hi=2), r8(6, 4, lo=-3, hi=3), r32(6, 4), 0, 0, -128, 127,
               _q31([1.5, 2.0, 3.7, 1.1, 0.9, 12.0])))  # fmt: skip
    # The single 32-bit multiply path, with multipliers narrow enough to be exact.
    # Output counts cover full 8-row blocks and last blocks of 1-4 rows (the
    # blocked kernel's 4-row loop) and of 5-7 rows.
    for i in range(3):
        w, b = r8(24, 48), r32(24, 4000)
        bound = int(accumulator_bound(w, b).max())
        bits = max(1, (2**31 - 1).bit_length() - 1 - bound.bit_length())
        reals = [float(v) for v in rng.uniform(2e-4, 3e-3, 24)]
        pairs = [quantize_multiplier_narrow(r, bits) for r in reals]
        rq = _raw("mul32", [m for m, _ in pairs], [s for _, s in pairs])
        add(FCCase(f"mul32_{i}", r8(48), w, b, 0, int(rng.integers(-20, 20)), -128, 127, rq))
    # The 8-row loops enter their unrolled body (4 inputs, 8 in the wide layout)
    # at slot (-n) mod 4 or 8: every slot occurs (n = 48, 7, 6, 5, 20, 3, 2, 1).
    for n_out, n_in in ((1, 5), (3, 7), (12, 33), (13, 2), (9, 7), (16, 1), (10, 6), (11, 5), (14, 3)):
        w, b = r8(n_out, n_in), r32(n_out, 4000)
        bits = max(1, (2**31 - 1).bit_length() - 1 - int(accumulator_bound(w, b).max()).bit_length())
        pairs = [quantize_multiplier_narrow(float(r), bits) for r in rng.uniform(2e-4, 3e-3, n_out)]
        rq = _raw("mul32", [m for m, _ in pairs], [s for _, s in pairs])
        add(FCCase(f"mul32_rows_{n_out}", r8(n_in), w, b, 0, 3, -128, 127, rq))
    # MUL32 with one multiplier and shift for all 12 rows (per tensor).
    w, b = r8(12, 20), r32(12, 4000)
    bits = max(1, (2**31 - 1).bit_length() - 1 - int(accumulator_bound(w, b).max()).bit_length())
    m, s = quantize_multiplier_narrow(1.7e-3, bits)
    add(FCCase("mul32_per_tensor", r8(20), w, b, 0, -5, -128, 127, _raw("mul32", [m], [s])))
    # MUL32 outputs clamped at both ends of a narrow range, per channel and per tensor.
    w, b = r8(13, 20), r32(13, 4000)
    bits = max(1, (2**31 - 1).bit_length() - 1 - int(accumulator_bound(w, b).max()).bit_length())
    pairs = [quantize_multiplier_narrow(float(r), bits) for r in rng.uniform(0.01, 0.03, 13)]
    add(FCCase("mul32_clamp", r8(20), w, b, 0, 4, -20, 30, _raw("mul32", [m for m, _ in pairs], [s for _, s in pairs])))
    w, b = r8(11, 20), r32(11, 4000)
    bits = max(1, (2**31 - 1).bit_length() - 1 - int(accumulator_bound(w, b).max()).bit_length())
    m, s = quantize_multiplier_narrow(0.02, bits)
    add(FCCase("mul32_clamp_per_tensor", r8(20), w, b, 0, 4, -20, 30, _raw("mul32", [m], [s])))
    # Shift-only requantization (power-of-two scales), no multiplier array.
    for i, shifts in enumerate(([-9], list(rng.integers(-14, -5, 12)), [0])):
        n_out = len(shifts) if len(shifts) > 1 else 6
        sh = np.array(shifts, np.int32)
        rq = Requant("shift", np.ones_like(sh), sh)
        add(FCCase(f"shift_{i}", r8(20), r8(n_out, 20, lo=-40, hi=40), r32(n_out, 3000), 0, int(rng.integers(-9, 9)),
                   -128, 127, rq))  # fmt: skip
    # Requantized value plus output offset beyond int32 (issue 13, item 2): the
    # sum is clamped as if formed exactly, TFLite's answer (127 / -128), with Q31
    # (M = 2^31 - 1, shift 0) and with SHIFT (shift 0), at both ends of int32.
    one, minus_one = np.ones((1, 1), np.int8), -np.ones((1, 1), np.int8)
    top, bottom = np.array([2**31 - 2], np.int32), np.array([-(2**31) + 127], np.int32)
    q31_unit, shift_0 = _raw("q31", [2**31 - 1], [0]), _raw("shift", [1], [0])
    add(FCCase("offset_sum_high_q31", np.array([1], np.int8), one, top, 0, 127, -128, 127, q31_unit))
    add(FCCase("offset_sum_low_q31", np.array([127], np.int8), minus_one, bottom, 0, -128, -128, 127, q31_unit))
    add(FCCase("offset_sum_high_shift", np.array([1], np.int8), one, top, 0, 100, -128, 127, shift_0))
    add(FCCase("offset_sum_low_shift", np.array([127], np.int8), minus_one, bottom, 0, -1, -128, 127, shift_0))
    # Random cases over sizes, offsets and scales.
    for i in range(12):
        n_in, n_out = int(rng.integers(1, 80)), int(rng.integers(1, 40))
        per_channel = bool(rng.integers(0, 2))
        # Multipliers that map a typical accumulator onto tens of LSBs, so most
        # outputs land inside the int8 range rather than at the clamps.
        typical = 128 * 74 * np.sqrt(n_in)
        reals = [float(v) * 40 / typical for v in rng.uniform(0.3, 1.5, n_out if per_channel else 1)]
        add(FCCase(f"random_{i}", r8(n_in), r8(n_out, n_in), r32(n_out, 20000) if i % 3 else None,
                   int(rng.integers(-127, 129)), int(rng.integers(-128, 128)), -128, 127, _q31(reals)))  # fmt: skip
    # A long input: the blocked kernels' input sum folds its 16-bit lanes every 512 bytes.
    add(FCCase("long_input", r8(1100), r8(5, 1100), r32(5, 20000), 9, 3, -128, 127, _q31([2e-5])))
    # Weight zero points applied by the kernels (issue 13, item 6): int8 weights
    # with zero point 100 and uint8 weights (stored w - 128, zero point zp - 128),
    # per tensor and per channel, each requantization, blocks of 8 and a tail.
    for i, (n_out, mode, per_channel) in enumerate(
        ((13, "q31", True), (9, "q31", False), (21, "mul32", True), (6, "mul32", False), (11, "shift", True))
    ):
        n_in = int(rng.integers(5, 60))
        w, b = r8(n_out, n_in), r32(n_out, 20000)
        z = rng.integers(-128, 128, n_out if per_channel else 1).astype(np.int32)
        z[0] = 100 if i % 2 else -128
        eff = w.astype(np.int64) - np.broadcast_to(z, (n_out,))[:, None]
        bound = int(accumulator_bound(eff, b).max())
        k = n_out if per_channel else 1
        if mode == "q31":
            rq = _q31([float(v) * 40 / (128 * 150 * np.sqrt(n_in)) for v in rng.uniform(0.3, 1.5, k)])
        elif mode == "mul32":
            bits = max(1, (2**31 - 1).bit_length() - 1 - bound.bit_length())
            pairs = [quantize_multiplier_narrow(float(v) * 40 / (128 * 150 * np.sqrt(n_in)), bits)
                     for v in rng.uniform(0.3, 1.5, k)]  # fmt: skip
            rq = _raw("mul32", [m for m, _ in pairs], [s for _, s in pairs])
        else:
            sh = rng.integers(-16, -10, k).astype(np.int32)
            rq = Requant("shift", np.ones_like(sh), sh)
        add(FCCase(f"weight_zp_{i}_{mode}", r8(n_in), w, b, int(rng.integers(-127, 129)) if i != 2 else 0,
                   int(rng.integers(-20, 20)), -128, 127, rq, weight_zero_point=z))  # fmt: skip
    # Offset-binary output (what a layer feeding a blocked layer writes), with
    # each requantization, a ReLU clamp, and the blocked kernels' long loops
    # (full 8-row blocks, a 4-row last block, inputs not a multiple of 4).
    for name in (
        "relu_clamp",
        "mul32_0",
        "mul32_rows_13",
        "mul32_rows_3",
        "mul32_per_tensor",
        "shift_1",
        "weight_zp_2_mul32",
        "weight_zp_4_shift",
        "offset_sum_high_q31",
        "offset_sum_low_shift",
        "random_1",
        "random_4",
    ):
        c = next(c for c in out if c.name == name)
        add(FCCase(f"{name}_u8", c.x, c.weights, c.bias, c.input_offset, c.output_offset, c.act_min, c.act_max,
                   c.requant, out_u8=True, weight_zero_point=c.weight_zero_point))  # fmt: skip
    return out


def _c_list(values: NDArray[np.integer]) -> str:
    vals = [str(int(v)) for v in np.asarray(values).reshape(-1)]
    rows = [", ".join(vals[i : i + 16]) for i in range(0, len(vals), 16)]
    return "{\n    " + ",\n    ".join(rows) + ",\n}"


def render(all_cases: list[FCCase]) -> str:
    lines = [
        "/* Golden vectors for m0nn_fc_s8 -- do not edit.",
        f" * Generated by m0nn {__version__} (python -m m0nn golden), numpy {np.__version__} rng seed {SEED};",
        " * expected outputs from m0nn.reference.fc_s8_raw (the Python integer reference);",
        " * blocked weights (byte and wide layouts), folded bias and offset-binary inputs from m0nn.layout. */",
        "#ifndef GOLDEN_FC_S8_H",
        "#define GOLDEN_FC_S8_H",
        "",
        "#include <stddef.h>",
        "",
        '#include "m0nn.h"',
        "",
    ]
    table = []
    data_of: dict[int, str] = {}  # an _u8 case shares its source case's arrays
    for i, c in enumerate(all_cases):
        y = f"c{i}"
        exp = c.expected()
        lines.append(f"/* {c.name} */")
        p = data_of.setdefault(id(c.x), y)
        if p == y:
            lines.append(f"static const int8_t {p}_x[{c.x.size}] = {_c_list(c.x)};")
            lines.append(f"static const int8_t {p}_w[{c.weights.size}] = {_c_list(c.weights)};")
            if c.bias is not None:
                lines.append(f"static const int32_t {p}_b[{c.bias.size}] = {_c_list(c.bias)};")
            if c.requant.mode != "shift":
                m = c.requant.multiplier
                lines.append(f"static const int32_t {p}_m[{m.size}] = {_c_list(m)};")
            lines.append(f"static const int32_t {p}_s[{c.requant.shift.size}] = {_c_list(c.requant.shift)};")
            if c.weight_zero_point is not None:
                lines.append(
                    f"static const int32_t {p}_z[{c.weight_zero_point.size}] = {_c_list(c.weight_zero_point)};"
                )
            lines.append(f"static const uint8_t {p}_xu[{c.x.size}] M0NN_ALIGN4 = {_c_list(offset_binary(c.x))};")
            wb = block8(c.weights)
            lines.append(f"static const uint8_t {p}_wb[{wb.size}] M0NN_ALIGN4 = {_c_list(wb)};")
            ww = block8(c.weights, wide=True)
            lines.append(f"static const uint8_t {p}_ww[{ww.size}] M0NN_ALIGN4 = {_c_list(ww)};")
            lines.append(f"static const int32_t {p}_bf[{c.weights.shape[0]}] = {_c_list(c.folded_bias())};")
        lines.append(f"static const int8_t {y}_y[{exp.size}] = {_c_list(exp)};")
        mult = f"{p}_m" if c.requant.mode != "shift" else "NULL"
        mode = {"q31": "M0NN_REQUANT_Q31", "mul32": "M0NN_REQUANT_MUL32", "shift": "M0NN_REQUANT_SHIFT"}[c.requant.mode]
        bias = f"{p}_b" if c.bias is not None else "NULL"
        zp = f"{p}_z" if c.weight_zero_point is not None else "NULL"
        dims = f"{c.weights.shape[1]}, {c.weights.shape[0]}"
        u8 = 128 if c.out_u8 else 0
        out = f"{c.output_offset + u8}, {c.act_min + u8}, {c.act_max + u8}"
        tail = f"{int(c.requant.per_channel)}, {mode}"
        table.append(
            f'    {{"{c.name}",\n'
            f"     {{{dims}, {c.input_offset}, {out}, {tail}, {p}_w, {bias}, {mult}, {p}_s, {zp}}},\n"
            f"     {{{dims}, 0, {out}, {tail}, {p}_wb, {p}_bf, {mult}, {p}_s, {zp}}},\n"
            f"     {{{dims}, 0, {out}, {tail}, {p}_ww, {p}_bf, {mult}, {p}_s, {zp}}},\n"
            f"     {p}_x, {p}_xu, {y}_y}},"
        )
    lines += [
        "",
        "typedef struct {",
        "    const char *name;",
        "    m0nn_fc_s8_params_t params;    /* row-major weights, for m0nn_fc_s8 */",
        "    m0nn_fc_s8_params_t params_b8; /* blocked weights, input offset folded: m0nn_fc_s8_b8 */",
        "    m0nn_fc_s8_params_t params_b8w; /* the same on the wide layout: m0nn_fc_s8_b8w */",
        "    const int8_t *input;",
        "    const uint8_t *input_u8; /* the input in offset-binary, for the blocked kernels */",
        "    const int8_t *expected;  /* output bytes (offset-binary ones as int8 with the same bits) */",
        "} golden_fc_case_t;",
        "",
        f"#define GOLDEN_FC_N_CASES {len(all_cases)}",
        "static const golden_fc_case_t golden_fc_cases[GOLDEN_FC_N_CASES] = {",
        *table,
        "};",
        "",
        "#endif",
        "",
    ]
    return "\n".join(lines)


def _mul32_for(w: NDArray[np.int8], b: NDArray[np.int32], reals: list[float]) -> Requant:
    """MUL32 multipliers as narrow as the accumulator bound of (w, b) needs."""
    bits = max(1, (2**31 - 1).bit_length() - 1 - int(accumulator_bound(w, b).max()).bit_length())
    pairs = [quantize_multiplier_narrow(r, bits) for r in reals]
    return _raw("mul32", [m for m, _ in pairs], [s for _, s in pairs])


def cases_b4() -> list[FCCase]:
    """Cases for the packed 4-bit kernel (weights in [-8, 7])."""
    rng = np.random.default_rng(SEED + 4)

    def r8(*shape: int, lo: int = -128, hi: int = 127) -> NDArray[np.int8]:
        return rng.integers(lo, hi + 1, size=shape).astype(np.int8)

    def w4(*shape: int) -> NDArray[np.int8]:
        return r8(*shape, lo=-8, hi=7)

    def r32(n: int, mag: int) -> NDArray[np.int32]:
        return rng.integers(-mag, mag + 1, size=n).astype(np.int32)

    def typical(n_in: int, n: int) -> list[float]:
        return [float(v) * 40 / (128 * 5 * np.sqrt(n_in)) for v in rng.uniform(0.3, 1.5, n)]

    out: list[FCCase] = []
    add = out.append
    # The loop enters its unrolled body (16 inputs) at slot (-n) mod 16: every
    # slot occurs (n = 1..16), with 1-16 outputs (full blocks and last blocks of
    # 1-7 rows), per channel and per tensor, each requantization.
    for n_in in range(1, 17):
        n_out = 1 + (n_in * 5) % 16
        w, b = w4(n_out, n_in), r32(n_out, 3000)
        per_channel = n_in % 2 == 0
        reals = typical(n_in, n_out if per_channel else 1)
        mode = ("q31", "mul32", "q31", "shift")[n_in % 4]
        if mode == "q31":
            rq = _q31(reals)
        elif mode == "mul32":
            rq = _mul32_for(w, b, reals)
        else:
            sh = np.array([power_of_two_shift(r) for r in reals], np.int32)
            rq = Requant("shift", np.ones_like(sh), sh)
        add(FCCase(f"b4_slot_{n_in}", r8(n_in), w, b, int(rng.integers(-127, 129)), int(rng.integers(-20, 20)),
                   -128, 127, rq))  # fmt: skip
    # Several groups of 16 and a partial one; the largest products (u = 255,
    # v = 15 and v = 0) fill the 16-bit lanes to their bound before a fold.
    add(FCCase("b4_lane_max", np.full(40, 127, np.int8), np.full((9, 40), 7, np.int8), None, 0, 0, -128, 127,
               _q31([1e-4])))  # fmt: skip
    add(FCCase("b4_lane_min", np.full(40, 127, np.int8), np.full((9, 40), -8, np.int8), None, 0, 0, -128, 127,
               _q31([1e-4])))  # fmt: skip
    # Fold boundaries: exactly 16 and 32 inputs (whole groups, no partial entry)
    # and 17 (one input, then a group); rows 0 and 4 of each block (the two
    # halves of one lane word) all 7 with u = 255, so both halves of that lane
    # reach 16 * 3825 = 61,200 at the fold; the other rows mix -8 and 7, and
    # the 32- and 17-input cases mix u = 0 (-128) and u = 255 (127).
    for n_in, n_out, x in ((16, 16, np.full(16, 127)), (32, 9, np.where(np.arange(32) % 3 == 0, -128, 127)),
                           (17, 12, np.where(np.arange(17) % 2 == 0, 127, -128))):  # fmt: skip
        rows, cols = np.indices((n_out, n_in))
        w = np.where(((rows * 5 + cols) % 3 == 0) & (rows % 4 != 0), -8, 7).astype(np.int8)
        add(FCCase(f"b4_fold_exact_{n_in}", x.astype(np.int8), w, None, 0, 0, -128, 127, _q31([1e-4])))
    add(FCCase("b4_long_input", r8(1100), w4(13, 1100), r32(13, 20000), 9, 3, -128, 127, _q31([2e-4])))
    # The loop's fourth multiplicand is W >> 12 unmasked (rows 3-7 mixed), decoded
    # at each fold by subtracting rows 4-6's group sums: rows 3 and 7 all 7 with
    # u = 255 (both halves of the decoded lane word at 61,200), rows 4-6 at 7 or
    # -8 in a pattern; one group, a partial one and then groups, whole groups,
    # all u = 255 or with some u = 0.
    for n_in, n_out, x in ((16, 8, np.full(16, 127)), (33, 15, np.full(33, 127)),
                           (48, 16, np.where(np.arange(48) % 7 == 3, -128, 127))):  # fmt: skip
        rows, cols = np.indices((n_out, n_in))
        w = np.where((rows % 4 == 3) | ((rows + 2 * cols) % 5 != 0), 7, -8).astype(np.int8)
        add(FCCase(f"b4_prefix_fold_{n_in}", x.astype(np.int8), w, None, 0, 0, -128, 127, _q31([1e-4])))
    # Clamps (a ReLU and a narrow range), MUL32 per channel and per tensor.
    w, b = w4(12, 37), r32(12, 2000)
    add(FCCase("b4_relu_mul32", r8(37), w, b, 0, -20, -20, 127, _mul32_for(w, b, typical(37, 12))))
    w, b = w4(11, 20), r32(11, 2000)
    add(FCCase("b4_clamp_per_tensor", r8(20), w, b, 0, 4, -20, 30, _mul32_for(w, b, [0.02])))
    w, b = w4(13, 20), r32(13, 2000)
    add(FCCase("b4_clamp_per_channel", r8(20), w, b, 0, 4, -20, 30,
               _mul32_for(w, b, [float(v) for v in rng.uniform(0.01, 0.03, 13)])))  # fmt: skip
    # Per channel, MUL32 runs each block's rows unrolled (7 down to 0), a last
    # block of 1-7 rows entering at its top row: every row count, clamped to a
    # narrow range so that each row's out-of-line upper clamp runs.
    for last in range(1, 8):
        n_in = 3 + 2 * last
        w, b = w4(8 + last, n_in), r32(8 + last, 3000)
        add(FCCase(f"b4_per_channel_rows_{last}", r8(n_in), w, b, 0, 1, -6, 6,
                   _mul32_for(w, b, [float(v) for v in rng.uniform(0.005, 0.05, 8 + last)])))  # fmt: skip
    # Issue 13: the output offset added to a requantized value near int32's ends
    # (Q31 and SHIFT), and weight zero points applied by the kernel (each
    # requantization, per channel and per tensor, full and last blocks).
    one, minus_one = np.ones((1, 1), np.int8), -np.ones((1, 1), np.int8)
    top, bottom = np.array([2**31 - 2], np.int32), np.array([-(2**31) + 127], np.int32)
    add(FCCase("b4_offset_sum_high_q31", np.array([1], np.int8), one, top, 0, 127, -128, 127,
               _raw("q31", [2**31 - 1], [0])))  # fmt: skip
    add(FCCase("b4_offset_sum_low_shift", np.array([127], np.int8), minus_one, bottom, 0, -1, -128, 127,
               _raw("shift", [1], [0])))  # fmt: skip
    for i, (n_out, mode, per_channel) in enumerate(((13, "q31", True), (9, "mul32", False), (21, "mul32", True),
                                                    (6, "shift", False))):  # fmt: skip
        n_in = int(rng.integers(5, 40))
        w, b = w4(n_out, n_in), r32(n_out, 3000)
        z = rng.integers(-128, 128, n_out if per_channel else 1).astype(np.int32)
        eff = w.astype(np.int64) - np.broadcast_to(z, (n_out,))[:, None]
        reals = [float(v) * 40 / (128 * 150 * np.sqrt(n_in)) for v in rng.uniform(0.3, 1.5, z.size)]
        if mode == "q31":
            rq = _q31(reals)
        elif mode == "mul32":
            rq = _mul32_for(eff, b, reals)
        else:
            rq = Requant("shift", np.ones(z.size, np.int32), np.full(z.size, -13, np.int32))
        add(FCCase(f"b4_weight_zp_{i}_{mode}", r8(n_in), w, b, int(rng.integers(-127, 129)) if i != 1 else 0,
                   int(rng.integers(-20, 20)), -128, 127, rq, weight_zero_point=z))  # fmt: skip
    # Offset-binary output (a layer that feeds a blocked one).
    for name in ("b4_relu_mul32", "b4_slot_7", "b4_slot_12", "b4_weight_zp_2_mul32"):
        c = next(c for c in out if c.name == name)
        add(FCCase(f"{name}_u8", c.x, c.weights, c.bias, c.input_offset, c.output_offset, c.act_min, c.act_max,
                   c.requant, out_u8=True, weight_zero_point=c.weight_zero_point))  # fmt: skip
    return out


def _render_layout(
    all_cases: list[FCCase],
    *,
    kernel: str,
    seed: int,
    what: str,
    params: str,
    tag: str,
    prefix: str,
    packed: Callable[[FCCase], NDArray[np.integer]],
    bias: Callable[[FCCase], NDArray[np.integer]],
) -> str:
    """The golden header of a blocked kernel with its own weight layout (`m0nn_fc_s8_<kernel>`):
    per case the layer's data once (`packed` weights as `<p>_w<tag>`, the `bias` it reads), the
    expected bytes, and a table of m0nn_fc_s8_params_t with the input in offset-binary."""
    upper = kernel.upper()
    lines = [
        f"/* Golden vectors for m0nn_fc_s8_{kernel} -- do not edit.",
        f" * Generated by m0nn {__version__} (python -m m0nn golden), numpy {np.__version__} rng seed {seed};",
        " * expected outputs from m0nn.reference.fc_s8_raw (the Python integer reference);",
        f" * {what} and offset-binary inputs from m0nn.layout. */",
        f"#ifndef GOLDEN_FC_S8_{upper}_H",
        f"#define GOLDEN_FC_S8_{upper}_H",
        "",
        "#include <stddef.h>",
        "",
        '#include "m0nn.h"',
        "",
    ]
    table = []
    data_of: dict[int, str] = {}
    for i, c in enumerate(all_cases):
        y = f"{prefix}{i}"
        exp = c.expected()
        lines.append(f"/* {c.name} */")
        p = data_of.setdefault(id(c.x), y)
        if p == y:
            if c.requant.mode != "shift":
                lines.append(
                    f"static const int32_t {p}_m[{c.requant.multiplier.size}] = {_c_list(c.requant.multiplier)};"
                )
            lines.append(f"static const int32_t {p}_s[{c.requant.shift.size}] = {_c_list(c.requant.shift)};")
            lines.append(f"static const uint8_t {p}_xu[{c.x.size}] M0NN_ALIGN4 = {_c_list(offset_binary(c.x))};")
            w = packed(c)
            lines.append(f"static const uint8_t {p}_w{tag}[{w.size}] M0NN_ALIGN4 = {_c_list(w)};")
            lines.append(f"static const int32_t {p}_bf[{c.weights.shape[0]}] = {_c_list(bias(c))};")
            if c.weight_zero_point is not None:
                lines.append(
                    f"static const int32_t {p}_z[{c.weight_zero_point.size}] = {_c_list(c.weight_zero_point)};"
                )
        lines.append(f"static const int8_t {y}_y[{exp.size}] = {_c_list(exp)};")
        mult = f"{p}_m" if c.requant.mode != "shift" else "NULL"
        mode = {"q31": "M0NN_REQUANT_Q31", "mul32": "M0NN_REQUANT_MUL32", "shift": "M0NN_REQUANT_SHIFT"}[c.requant.mode]
        u8 = 128 if c.out_u8 else 0
        zp = f"{p}_z" if c.weight_zero_point is not None else "NULL"
        table.append(
            f'    {{"{c.name}",\n'
            f"     {{{c.weights.shape[1]}, {c.weights.shape[0]}, 0, {c.output_offset + u8}, {c.act_min + u8}, "
            f"{c.act_max + u8}, {int(c.requant.per_channel)}, {mode}, {p}_w{tag}, {p}_bf, {mult}, {p}_s, {zp}}},\n"
            f"     {p}_xu, {y}_y}},"
        )
    lines += [
        "",
        "typedef struct {",
        "    const char *name;",
        f"    m0nn_fc_s8_params_t params; /* {params}: m0nn_fc_s8_{kernel} */",
        "    const uint8_t *input_u8;    /* the input in offset-binary */",
        "    const int8_t *expected;     /* output bytes (offset-binary ones as int8 with the same bits) */",
        f"}} golden_fc_{kernel}_case_t;",
        "",
        f"#define GOLDEN_FC_{upper}_N_CASES {len(all_cases)}",
        f"static const golden_fc_{kernel}_case_t golden_fc_{kernel}_cases[GOLDEN_FC_{upper}_N_CASES] = {{",
        *table,
        "};",
        "",
        "#endif",
        "",
    ]
    return "\n".join(lines)


def render_b4(all_cases: list[FCCase]) -> str:
    return _render_layout(
        all_cases,
        kernel="b4",
        seed=SEED + 4,
        what="packed 4-bit weights, folded bias",
        params="packed 4-bit weights, input offset folded",
        tag="4",
        prefix="c",
        packed=lambda c: block4(c.weights),
        bias=lambda c: c.folded_bias(),
    )


def cases_b8p() -> list[FCCase]:
    """Cases for the pairs layout (m0nn_fc_s8_b8p: MUL32, in_size <= 64, no row
    with the weight pair (-128, -128))."""
    rng = np.random.default_rng(SEED + 8)

    def r8(*shape: int, lo: int = -128, hi: int = 127) -> NDArray[np.int8]:
        return rng.integers(lo, hi + 1, size=shape).astype(np.int8)

    def r32(n: int, mag: int) -> NDArray[np.int32]:
        return rng.integers(-mag, mag + 1, size=n).astype(np.int32)

    def reals(n_in: int, n: int, gain: float = 1.0) -> list[float]:
        return [gain * float(v) * 40 / (128 * 90 * np.sqrt(n_in)) for v in rng.uniform(0.3, 1.5, n)]

    def fit(w: NDArray[np.int8]) -> NDArray[np.int8]:
        """w with every (-128, -128) pair's second weight raised to -127."""
        return pairs_refit(w).astype(np.int8)

    out: list[FCCase] = []
    add = out.append
    # Every loop entry from in_size 1 up to the maximum 64 (pairs 1..32), odd and
    # even, with 1-16 outputs (groups of 4 rows, full 8-row blocks, last blocks
    # of 1-7 rows), per channel and per tensor, random input zero points.
    sizes = (1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 47, 62, 63, 64)
    for k, n_in in enumerate(sizes):
        n_out = (1, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 2, 11, 10, 15, 14)[k]
        w, b = fit(r8(n_out, n_in)), r32(n_out, 30000)
        per_channel = k % 2 == 0
        rq = _mul32_for(w, b, reals(n_in, n_out if per_channel else 1))
        add(FCCase(f"b8p_in_{n_in}", r8(n_in), w, b, int(rng.integers(-127, 129)), int(rng.integers(-20, 20)),
                   -128, 127, rq))  # fmt: skip
    # Every other in_size up to 64 (each staged word-aligned and not by the C
    # test: whole groups of 4 by word or by bytes, the last 0-3 by bytes).
    for n_in in sorted(set(range(1, PAIRS_MAX_IN + 1)) - set(sizes)):
        n_out = 1 + n_in % 7
        w, b = fit(r8(n_out, n_in)), r32(n_out, 30000)
        rq = _mul32_for(w, b, reals(n_in, n_out if n_in % 2 else 1))
        add(FCCase(f"b8p_n_{n_in}", r8(n_in), w, b, 0, int(rng.integers(-20, 20)), -128, 127, rq))
    # The largest layer the loop takes, 64 -> 64, per channel and per tensor.
    for per_channel in (True, False):
        w, b = fit(r8(64, 64)), r32(64, 50000)
        rq = _mul32_for(w, b, reals(64, 64 if per_channel else 1))
        add(FCCase(f"b8p_64x64_{'channel' if per_channel else 'tensor'}", r8(64), w, b, 0, -3, -128, 127, rq))

    # The lane's bounds: each pair's dot D = x0 w0 + x1 w1 at its largest legal
    # value, 32640 (x = -128, weights -128 and -127 in either order), at -32512
    # (x = -128, weights 127) and mixed signs, and the low lane x0 w1 at 16384
    # (x0 = -128, w1 = -128) and -16256; odd and even in_size; every row's sum
    # far from 0, so any lost carry shows in the output.
    # The bias cancels the dot products up to a small rest, and the multiplier
    # is 1: every output is its accumulator, so an error of 1 in any row shows.
    def exact(name: str, x: NDArray[np.int8], w: NDArray[np.int8]) -> None:
        dot = w.astype(np.int64) @ x.astype(np.int64)
        b = (rng.integers(-100, 101, w.shape[0]) - dot).astype(np.int32)
        add(FCCase(name, x, w, b, 0, 0, -128, 127, _mul32_for(w, b, [1.0])))

    x_low = np.full(64, -128, np.int8)
    rows, pair = np.indices((12, 32))
    first = np.where((pair + rows) % 2 == 0, -128, -127)  # each pair (-128, -127) or (-127, -128)
    w_max = pairs_weights(np.stack([first, -255 - first], axis=2), 64)
    exact("b8p_lane_dot_max", x_low, w_max.astype(np.int8))
    rows, cols = np.indices((12, 64))
    exact("b8p_lane_dot_min", x_low[:63], np.full((9, 63), 127, np.int8))
    x_mix = np.where(np.arange(64) % 3 == 0, 127, -128).astype(np.int8)
    exact("b8p_lane_mixed", x_mix, fit(np.where((rows * 7 + cols) % 5 < 2, -128, 127).astype(np.int8)))
    exact("b8p_lane_random", r8(61), fit(r8(14, 61)))
    # Activation clamps: a fused ReLU, a narrow range (both clamps of every row),
    # per channel and per tensor; offset-binary output.
    w, b = fit(r8(13, 20)), r32(13, 8000)
    add(FCCase("b8p_relu", r8(20), w, b, 5, -20, -20, 127, _mul32_for(w, b, reals(20, 13))))
    w, b = fit(r8(11, 27)), r32(11, 8000)
    add(FCCase("b8p_clamp_per_tensor", r8(27), w, b, 0, 4, -6, 6, _mul32_for(w, b, reals(27, 1, 3.0))))
    w, b = fit(r8(15, 27)), r32(15, 8000)
    add(FCCase("b8p_clamp_per_channel", r8(27), w, b, 0, 4, -6, 6, _mul32_for(w, b, reals(27, 15, 3.0))))
    # Both clamps in every row of a last pass of 1-3 rows (the assembly's tail
    # loop) and of the full passes before it: biases of +-90000 alternating.
    for k, (n_out, per_channel) in enumerate(((3, True), (6, False), (7, True), (13, False), (2, False), (1, True))):
        w = fit(r8(n_out, 9))
        b = np.where((np.arange(n_out) + k) % 2 == 0, 90000, -90000).astype(np.int32)
        rq = _mul32_for(w, b, reals(9, n_out if per_channel else 1))
        add(FCCase(f"b8p_clamp_tail_{n_out}", r8(9), w, b, 0, 4, -6, 6, rq))
    # A weight zero point applied by the kernel (-z * sum(x)), per channel.
    w, b = fit(r8(10, 21)), r32(10, 3000)
    z = rng.integers(-128, 128, 10).astype(np.int32)
    eff = w.astype(np.int64) - z[:, None]
    add(FCCase("b8p_weight_zp", r8(21), w, b, 0, 2, -128, 127, _mul32_for(eff, b, reals(21, 10, 0.1)),
               weight_zero_point=z))  # fmt: skip
    for name in ("b8p_relu", "b8p_in_33", "b8p_clamp_per_channel"):
        c = next(c for c in out if c.name == name)
        add(FCCase(f"{name}_u8", c.x, c.weights, c.bias, c.input_offset, c.output_offset, c.act_min, c.act_max,
                   c.requant, out_u8=True, weight_zero_point=c.weight_zero_point))  # fmt: skip
    return out


def render_b8p(all_cases: list[FCCase]) -> str:
    for c in all_cases:
        if c.requant.mode != "mul32" or not pairs_fit(c.weights) or c.weights.shape[1] > PAIRS_MAX_IN:
            raise ValueError(f"{c.name}: not a pairs-layout case")
    return _render_layout(
        all_cases,
        kernel="b8p",
        seed=SEED + 8,
        what="pairs-layout weights, bias with the input zero point folded",
        params="pairs-layout weights, input zero point folded",
        tag="p",
        prefix="p",
        packed=lambda c: pairs4(c.weights),
        bias=lambda c: pairs_bias(c.bias, c.effective_weights(), c.input_offset).astype(np.int32),
    )
