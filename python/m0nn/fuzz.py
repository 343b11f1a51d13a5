"""`m0nn fuzz`: random and extreme layers through every C kernel, against the
Python integer reference, and Q31 layers against an independent TFLite-style
reference.

Each case is one fully connected layer drawn to reach the edges of the legal
ranges (docs/numerics.md): sizes 1..1100 with every 8-row tail, inputs and
weights at -128/127, input and output zero points at their extremes, the bias
at the int32 bound of the accumulator (and of the blocked kernels' folded
bias), each requantization (q31 with right and left shifts and M at 0, 2^30,
2^31 - 1; mul32 with the largest multiplier the accumulator allows; shift
only), per tensor and per channel, int8 and offset-binary outputs, clamps.
Cases outside the kernels' contract (an accumulator or a requantization step
beyond int32 on the drawn input, which the reference refuses) are redrawn.

The C side (test/fuzz/fuzz_driver.c) is built with the host gcc, once plain and
once with -fsanitize=address,undefined, and reads the cases from a binary
stream: one process runs many thousands of layers; a case whose weights lie
in [-8, 7] (one in four or more) also runs the packed 4-bit kernel of its
requantization (m0nn_fc_s8_b4*). Weight zero points (int8
weights, or uint8 ones stored less 128) are drawn in three cases in ten. Every case runs m0nn_fc_s8
and the blocked kernel of its requantization on both layouts (three calls;
four with the 4-bit kernel; one more for a MUL32 case: m0nn_fc_s8_small). A
Q31 case inside the split path's domain (decided by m0nn.quant.q31_split_fits
on its proven accumulator bound, as the generator decides) also runs
m0nn_fc_s8_b8_q31_split and _b8w_q31_split (and _b4_q31_split with 4-bit
weights); one case in ten is drawn at that domain's edge (bound 2^30 - 1 less
0..3, the input driving one row's accumulator towards it, multipliers near
2^31 - 1 and shifts in [-31, -1]). A case the pairs layout holds (MUL32,
in_size <= 64, no weight pair (-128, -128) at a pair of inputs: Case.pairs,
on m0nn.layout's PAIRS_MAX_IN and pairs_fit; weights, bias from pairs4 and
pairs_bias) also runs m0nn_fc_s8_b8p; one not MUL32 or wider than 64 inputs
checks that m0nn_fc_s8_b8p refuses it (M0NN_ERR_QUANT, M0NN_ERR_SIZE) and
leaves every output byte as it was. Another case in ten is drawn at the pairs
layout's lane edge: MUL32, in_size 1-64, weight pairs from PAIRS_EDGE, the
input all -128 or at its ends (pair dots at 32640 and -32512).

The TFLite-style check is deliberately not quant.py: `tflite_mbqm` below is
written from TFLite's documented MultiplyByQuantizedMultiplier
(SaturatingRoundingDoublingHighMul with its sign-dependent nudge and truncating
division, then RoundingDivideByPOT) in plain Python integers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from m0nn.errors import ModelError
from m0nn.layout import (
    PAIRS_MAX_IN,
    block4,
    block8,
    block8_bias,
    fits_int4,
    pairs4,
    pairs_bias,
    pairs_fit,
    pairs_weights,
)
from m0nn.plugin import resources
from m0nn.quant import (
    INT32_MAX,
    INT32_MIN,
    Q31_SHIFT_MIN,
    Q31_SPLIT_ACC_MAX,
    Requant,
    accumulator_bound,
    q31_split_fits,
    quantize_multiplier,
)
from m0nn.reference import fc_s8_raw

# The C library and the drivers as m0nn is installed (the wheel's copies, or the repository's).
LIB = resources.c_library()
DRIVER = resources.fuzz_drivers() / "fuzz_driver.c"
M0_DRIVER = resources.fuzz_drivers() / "fuzz_m0.c"
MODES = {"q31": 0, "mul32": 1, "shift": 2}
ERR_SIZE, ERR_QUANT = -2, -4  # m0nn.h's m0nn_status_t: what m0nn_fc_s8_b8p returns outside its layout's domain
# Weight pairs (w[a], w[b]) (m0nn.layout.pair_inputs) at the pairs layout's lane edge: with x = (-128, -128)
# the dot D = 32640 ((-128, -127)) or -32512 ((127, 127)); the low half L = x[a] w[b] at 16384 or
# -16256. (-128, -128) alone leaves the lane (m0nn.layout.pairs_fit refuses it).
PAIRS_EDGE = np.array([(-128, -127), (-127, -128), (127, 127), (-128, 127), (127, -128), (-127, -127),
                       (-128, 0), (0, -128), (-128, 1), (1, -128), (127, -127), (-127, 127)])  # fmt: skip
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
TARGETS = {
    "native": ["-O2"],
    "native_asan": [
        "-O1",
        "-g",
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
    ],
}
M0_BUILD = "arm-none-eabi-gcc -mcpu=cortex-m0 -O2, qemu-system-arm -M microbit"
QEMU = ["qemu-system-arm", "-M", "microbit", "-nographic", "-monitor", "none", "-serial", "none",
        "-semihosting-config", "enable=on,target=native", "-kernel"]  # fmt: skip


# --- The independent TFLite-style reference (plain Python integers) ---------


def _srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul: (a * b * 2 + nudge) / 2^32, truncated
    toward zero, nudge 2^30 or 1 - 2^30 by the product's sign; saturates the
    one overflowing case a = b = INT32_MIN."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    t = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
    q = abs(t) >> 31
    return q if t >= 0 else -q


def _rdbypot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT: x / 2^exponent rounded half away from zero."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def tflite_mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier(x, multiplier, shift); x * 2^left must fit int32.

    >>> tflite_mbqm(3, 2**30, 0), tflite_mbqm(-3, 2**30, 0), tflite_mbqm(-2, 2**30, -1)
    (2, -1, -1)
    """
    left, right = max(shift, 0), max(-shift, 0)
    return _rdbypot(_srdhm(x * (1 << left), multiplier), right)


def tflite_fc(x: list[int], w: list[list[int]], bias: list[int] | None, input_offset: int, output_offset: int,
              act_min: int, act_max: int, m: list[int], s: list[int]) -> list[int]:  # fmt: skip
    """TFLite's int8 FullyConnected per output: the sum, then the bias, then
    MultiplyByQuantizedMultiplier, the offset and the clamp."""
    out = []
    for o, row in enumerate(w):
        acc = sum((xi + input_offset) * wi for xi, wi in zip(x, row, strict=True))
        acc += bias[o] if bias is not None else 0
        c = o if len(m) > 1 else 0
        y = tflite_mbqm(acc, m[c], s[c]) + output_offset
        out.append(min(max(y, act_min), act_max))
    return out


# --- Case generation ---------------------------------------------------------


def pairs_edge_weights(rng: np.random.Generator, n_out: int, n_in: int) -> NDArray[np.int64]:
    """Weights whose pairs (w[a], w[b]) (m0nn.layout.pair_inputs) are mostly
    PAIRS_EDGE's, the rest random but never (-128, -128); an odd in_size drops
    the last pair's second."""
    pairs = (n_in + 1) // 2
    edge = PAIRS_EDGE[rng.integers(0, len(PAIRS_EDGE), (n_out, pairs))]
    free = rng.integers(-128, 128, (n_out, pairs, 2))
    free[..., 1] = np.where((free[..., 0] == -128) & (free[..., 1] == -128), -127, free[..., 1])
    return pairs_weights(np.where(rng.random((n_out, pairs, 1)) < 0.7, edge, free), n_in)


@dataclass
class Case:
    x: NDArray[np.int8]
    weights: NDArray[np.int8]
    bias: NDArray[np.int64] | None
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    requant: Requant
    out_u8: bool
    misalign: int
    weight_zero_point: NDArray[np.int64] | None = None  # as many as multipliers
    split: bool = False  # Q31 inside the split path's domain: the _q31_split kernels run too
    expected: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))

    def effective_weights(self) -> NDArray[np.int64]:
        w = self.weights.astype(np.int64)
        if self.weight_zero_point is None:
            return w
        return w - np.broadcast_to(self.weight_zero_point, (w.shape[0],))[:, None]

    def pairs_bias(self) -> NDArray[np.int64]:
        """m0nn_fc_s8_b8p's bias (the input zero point folded, m0nn.layout.pairs_bias)."""
        return pairs_bias(self.bias, self.effective_weights(), self.input_offset)

    def pairs(self) -> int | None:
        """What m0nn_fc_s8_b8p must do with the case: 0, run it exactly (the pairs
        layout legal: MUL32, in_size <= m0nn.layout.PAIRS_MAX_IN, no weight pair
        (-128, -128) at a pair of inputs (m0nn.layout.pairs_fit), its folded bias
        within int32); M0NN_ERR_QUANT (not MUL32) or M0NN_ERR_SIZE (in_size > 64):
        refuse it and leave the output untouched; None: not called (the weight
        pair (-128, -128), whose dot leaves the lane: outside the kernel's domain)."""
        if self.requant.mode != "mul32":
            return ERR_QUANT
        if self.x.size > PAIRS_MAX_IN:
            return ERR_SIZE
        folded = self.pairs_bias()
        if not pairs_fit(self.weights) or folded.min() < INT32_MIN or folded.max() > INT32_MAX:
            return None
        return 0

    def record(self) -> bytes:
        """The case as fuzz_driver.c reads it."""
        n_out = self.weights.shape[0]
        u8 = 128 if self.out_u8 else 0
        wb, ww = block8(self.weights), block8(self.weights, wide=True)
        w4 = block4(self.weights) if fits_int4(self.weights) else np.zeros(0, np.uint8)
        folded = block8_bias(self.bias, self.effective_weights(), self.input_offset)
        pairs = self.pairs()
        wp = pairs4(self.weights) if pairs == 0 else np.zeros(0, np.uint8)
        rq = self.requant
        head = [self.x.size, n_out, self.input_offset, self.output_offset + u8, self.act_min + u8,
                self.act_max + u8, int(rq.per_channel), MODES[rq.mode], int(self.bias is not None),
                self.misalign, wb.size, ww.size, int(self.weight_zero_point is not None), w4.size,
                int(self.split), wp.size, pairs or 0]  # fmt: skip
        parts = [
            np.array(head, "<i4").tobytes(),
            self.x.astype(np.int8).tobytes(),
            self.weights.astype(np.int8).tobytes(),
            wb.tobytes(),
            ww.tobytes(),
            w4.tobytes(),
            self.bias.astype("<i4").tobytes() if self.bias is not None else b"",
            folded.astype("<i4").tobytes(),
            rq.multiplier.astype("<i4").tobytes(),
            rq.shift.astype("<i4").tobytes(),
            self.weight_zero_point.astype("<i4").tobytes() if self.weight_zero_point is not None else b"",
            self.expected.astype(np.int8).tobytes(),
            # last, so that fuzz_m0.c reads them into the wide weights' buffer once b8w has run
            self.pairs_bias().astype("<i4").tobytes() if wp.size else b"",
            wp.tobytes(),
        ]
        return b"".join(parts)


class Generator:
    """small: cases that fit fuzz_m0.c's buffers (in <= 200, out <= 24, in * out <= 1024)."""

    def __init__(self, seed: int, small: bool = False) -> None:
        self.rng = np.random.default_rng(seed)
        self.small = small
        self.tflite_checks = 0
        self.tflite_mismatches: list[str] = []
        self.redrawn = 0

    def _ints(self, lo: int, hi: int, shape: tuple[int, ...]) -> NDArray[np.int64]:
        """Uniform, or (one draw in four) only the two ends, or small values."""
        kind = self.rng.integers(0, 6)
        if kind == 0:
            return self.rng.choice(np.array([lo, hi]), size=shape)
        if kind == 1:
            return self.rng.integers(-3, 4, size=shape)
        return self.rng.integers(lo, hi + 1, size=shape)

    def _size(self, big: int) -> int:
        r = self.rng.random()
        if r < 0.05:
            return 1
        if r < 0.08:
            return int(self.rng.integers(big // 2, big + 1))
        return int(self.rng.integers(1, 70))

    def _bias(self, partial: NDArray[np.int64], eff: NDArray[np.int64], input_offset: int) -> NDArray[np.int64] | None:
        """None, small, or at an end of what keeps the accumulator, the blocked
        kernels' folded bias and (in_size <= 64) the pairs layout's within int32."""
        kind = self.rng.integers(0, 4)
        if kind == 0:
            return None
        folds = [block8_bias(None, eff, input_offset)]
        if eff.shape[1] <= PAIRS_MAX_IN:
            folds.append(pairs_bias(None, eff, input_offset))
        lo = np.maximum.reduce([np.full_like(partial, INT32_MIN), INT32_MIN - partial, *(INT32_MIN - f for f in folds)])
        hi = np.minimum.reduce([np.full_like(partial, INT32_MAX), INT32_MAX - partial, *(INT32_MAX - f for f in folds)])
        if kind == 1:
            return np.clip(self.rng.integers(-30000, 30001, size=partial.size), lo, hi)
        if kind == 2:
            return self.rng.integers(lo, hi + 1)
        ends = np.where(self.rng.random(partial.size) < 0.5, lo, hi)
        return np.clip(ends + self.rng.integers(-3, 4, size=partial.size), lo, hi)

    def _requant(self, acc: NDArray[np.int64], per_channel: bool, n_in: int, mode: str | None = None) -> Requant:
        n = acc.shape[-1] if per_channel else 1
        peak = np.abs(acc).max(axis=0) if per_channel else np.array([np.abs(acc).max()])
        peak = np.maximum(peak, 1)
        mode = mode or ("q31", "mul32", "shift")[self.rng.integers(0, 3)]
        if mode == "q31":
            kind = self.rng.integers(0, 3)
            if kind == 0:  # typical: tens of LSBs at the typical accumulator
                typical = 128 * 74 * np.sqrt(n_in)
                reals = self.rng.uniform(0.3, 1.5, n) * 40 / typical
            else:  # anywhere from tiny to the largest left shift the peak allows
                reals = 2.0 ** self.rng.uniform(-40, 31, n)
            pairs = [quantize_multiplier(float(r)) for r in reals]
            m = np.array([p[0] for p in pairs], np.int64)
            s = np.array([p[1] for p in pairs], np.int64)
            if kind == 2:  # raw extremes of M and shift
                m = self.rng.choice(np.array([0, 1, 2**30, 2**31 - 1]), size=n)
                s = self.rng.choice(np.array([-31, -1, 0, 1, 30]), size=n)
            room = np.array([max(0, (INT32_MAX // int(p)).bit_length() - 1) for p in peak])
            s = np.minimum(s, room)  # acc * 2^left stays within int32
            return Requant("q31", m.astype(np.int32), s.astype(np.int32))
        if mode == "mul32":
            r = self.rng.integers(1, 32, size=n)
            top = np.maximum((INT32_MAX - (np.int64(1) << (r - 1))) // peak, 0)
            top = np.minimum(top, INT32_MAX)
            m = np.where(self.rng.random(n) < 0.4, top, (self.rng.random(n) * (top + 1)).astype(np.int64))
            return Requant("mul32", np.minimum(m, top).astype(np.int32), (-r).astype(np.int32))
        r = self.rng.integers(0, 32, size=n)
        r = np.where(peak + np.where(r > 0, np.int64(1) << np.maximum(r - 1, 0), 0) > INT32_MAX, 0, r)
        return Requant("shift", np.ones(n, np.int32), (-r).astype(np.int32))

    def _split_edge_bias(self, x: NDArray[np.int64], eff: NDArray[np.int64], io: int) -> NDArray[np.int64] | None:
        """A bias putting every row's proven bound (|folded bias| + 128 sum |w|) at
        2^30 - 1 less 0..3, its sign that of row 0's x @ w (so that row's
        accumulator nears the bound); None where the weights alone exceed it."""
        room = Q31_SPLIT_ACC_MAX - 128 * np.abs(eff).sum(axis=1) - self.rng.integers(0, 4, size=eff.shape[0])
        if room.min() < 0:
            return None
        sign = 1 if int(x @ eff[0]) >= 0 else -1
        return sign * room - io * eff.sum(axis=1)

    def _split_edge_requant(self, n: int) -> Requant:
        """Q31 with multipliers near 2^31 - 1 (or 2^30, or uniform) and right shifts."""
        top = 2**31 - 1 - self.rng.integers(0, 4, size=n)
        m = np.where(self.rng.random(n) < 0.6, top, self.rng.integers(2**30, 2**31, size=n))
        s = np.where(self.rng.random(n) < 0.3, self.rng.choice(np.array([Q31_SHIFT_MIN, -1]), size=n),
                     self.rng.integers(Q31_SHIFT_MIN, 0, size=n))  # fmt: skip
        return Requant("q31", m.astype(np.int32), s.astype(np.int32))

    def _pairs_edge_x(self, w: NDArray[np.int64]) -> NDArray[np.int64]:
        """The input at its extremes: all -128 (each PAIRS_EDGE pair's dot at its
        end: 32640, -32512), driving row 0's accumulator up or down, or random ends."""
        kind = self.rng.integers(0, 5)
        if kind < 2:
            return np.full(w.shape[1], -128, np.int64)
        if kind == 2:
            return np.where(w[0] < 0, -128, 127)
        if kind == 3:
            return np.where(w[0] < 0, 127, -128)
        return self.rng.choice(np.array([-128, 127]), size=w.shape[1])

    def case(self) -> Case:
        while True:
            c = self._draw()
            if c is not None:
                return c
            self.redrawn += 1

    def _draw(self) -> Case | None:
        rng = self.rng
        n_in, n_out = self._size(1100), self._size(70)
        # one case in ten at the pairs layout's lane edge (m0nn_fc_s8_b8p: MUL32, in_size <= 64)
        pairs_edge = rng.random() < 0.1
        if pairs_edge:
            ends = [1, 2, 3, PAIRS_MAX_IN - 1, PAIRS_MAX_IN, int(rng.integers(1, PAIRS_MAX_IN + 1))]
            n_in = int(rng.choice(np.array(ends)))
        if self.small:
            n_out = min(n_out, 24)
            n_in = min(n_in, 200, 1024 // n_out)
        x = self._ints(-128, 127, (n_in,))
        if pairs_edge:
            w = pairs_edge_weights(rng, n_out, n_in)
        elif rng.random() < 0.75:
            w = self._ints(-128, 127, (n_out, n_in))
        else:
            w = self._ints(-8, 7, (n_out, n_in))
        io = int(rng.choice(np.array([-127, 128, 0, int(rng.integers(-127, 129))])))
        per_channel = bool(rng.integers(0, 2))
        z = None
        if rng.random() < 0.3:  # a weight zero point, applied by the kernels
            z = self._ints(-128, 127, (n_out if per_channel else 1,))
        eff = w - np.broadcast_to(z, (n_out,))[:, None] if z is not None else w
        edge = not pairs_edge and rng.random() < 0.1
        if edge:  # the split path's edge: x drives row 0 towards the bound
            x = np.where(eff[0] > 0, -128, 127) if rng.random() < 0.5 else np.where(eff[0] > 0, 127, -128)
        elif pairs_edge:
            x = self._pairs_edge_x(w)
        partial = (x + io) @ eff.T
        bias = self._split_edge_bias(x, eff, io) if edge else self._bias(partial, eff, io)
        acc = partial + (bias if bias is not None else 0)
        rq = self._split_edge_requant(n_out if per_channel else 1) if edge else None
        rq = rq or self._requant(acc[None, :], per_channel, n_in, "mul32" if pairs_edge else None)
        # the input zero point folded into the bias, as the generator's layer holds it
        folded_bias = (bias if bias is not None else 0) + io * eff.sum(axis=1)
        bound = int(accumulator_bound(eff, np.broadcast_to(folded_bias, (n_out,))).max())
        split = rq.mode == "q31" and q31_split_fits(bound, rq.shift)
        zp = int(rng.choice(np.array([-128, 127, 0, int(rng.integers(-128, 128))])))
        clamp = rng.integers(0, 3)
        lo, hi = -128, 127
        if clamp == 1:
            lo = zp
        elif clamp == 2:
            lo, hi = sorted(int(v) for v in rng.integers(-128, 128, 2))
        c = Case(x.astype(np.int8), w.astype(np.int8), bias, io, zp, lo, hi, rq, bool(rng.random() < 0.3),
                 int(rng.integers(0, 4)), z, split)  # fmt: skip
        try:
            y = fc_s8_raw(x, w, bias, io, zp, lo, hi, rq, "fuzz", z)
        except ModelError:
            return None
        if rq.mode == "q31":
            self._tflite_check(c, y)
        c.expected = ((y.astype(np.int64) + 128).astype(np.uint8).view(np.int8)) if c.out_u8 else y
        return c

    def _tflite_check(self, c: Case, y: NDArray[np.int8]) -> None:
        want = tflite_fc([int(v) for v in c.x], c.effective_weights().tolist(),
                         None if c.bias is None else [int(v) for v in c.bias], c.input_offset, c.output_offset,
                         c.act_min, c.act_max, c.requant.multiplier.tolist(), c.requant.shift.tolist())  # fmt: skip
        self.tflite_checks += len(want)
        if [int(v) for v in y] != want:
            self.tflite_mismatches.append(f"q31 layer {c.x.size}->{c.weights.shape[0]}: {y.tolist()} != {want}")


# --- Running -----------------------------------------------------------------


def build(target: str, out_dir: Path) -> Path:
    """fuzz_driver.c and lib/m0nn with the host gcc (-Werror; sanitizers for
    native_asan), or fuzz_m0.c and lib/m0nn (its ARMv6-M assembly) for the
    emulated micro:bit (m0)."""
    if target == "m0":
        from m0nn import cycles

        if shutil.which("qemu-system-arm") is None:
            raise ModelError("m0nn fuzz --target m0 needs qemu-system-arm")
        return cycles.compile_image(
            [*cycles.library_sources(LIB), M0_DRIVER], [LIB / "include", LIB / "src"], out_dir / "fuzz_m0.elf"
        )
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise ModelError("m0nn fuzz needs a host C compiler (gcc)")
    exe = out_dir / f"fuzz_{target}"
    sources = [str(p) for p in sorted((LIB / "src").glob("*.c"))] + [str(DRIVER)]
    cmd = [gcc, *CFLAGS, *TARGETS[target], f"-I{LIB / 'include'}", f"-I{LIB / 'src'}", *sources, "-o", str(exe)]
    subprocess.run(cmd, check=True)
    return exe


def run_stream(
    target: str, exe: Path, stream: bytes, workdir: Path
) -> tuple[subprocess.CompletedProcess[bytes], list[str]]:
    """Run a built driver on a case stream; its output lines (on the M0, the
    stream is the file m0nn_fuzz_cases.bin in `workdir`, and QEMU writes the
    semihosted console to stderr)."""
    if target == "m0":
        (workdir / "m0nn_fuzz_cases.bin").write_bytes(stream)
        proc = subprocess.run([*QEMU, str(exe)], cwd=workdir, capture_output=True, timeout=3600)
        return proc, (proc.stdout + proc.stderr).decode(errors="replace").splitlines()
    proc = subprocess.run([str(exe)], input=stream, capture_output=True)
    return proc, proc.stdout.decode(errors="replace").splitlines()


@dataclass
class TargetResult:
    target: str
    calls: int = 0
    split_calls: int = 0
    pairs_calls: int = 0
    refused_calls: int = 0
    cases: int = 0
    mismatches: int = 0
    seconds: float = 0.0
    first_mismatches: list[str] = field(default_factory=list)
    sanitizer_errors: list[str] = field(default_factory=list)


def run(
    seed: int,
    calls: int,
    targets: list[str],
    batch: int = 4000,
    log: Callable[[str], None] = print,
    models: int = 0,
) -> dict[str, Any]:
    """Generate ceil(calls / 3) cases (three to seven kernel calls each) in batches and
    run every batch on every target; returns the results as a dict."""
    gen = Generator(seed)
    gen_m0 = Generator(seed, small=True)
    start = time.monotonic()
    results = {t: TargetResult(t) for t in targets}
    n_cases = -(-calls // 3)
    gen_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="m0nn-fuzz-") as tmp:
        exes = {t: build(t, Path(tmp)) for t in targets}
        done = 0
        while done < n_cases:
            k = min(batch, n_cases - done)
            t0 = time.monotonic()
            streams = {}
            if any(t != "m0" for t in targets):
                streams["host"] = b"".join(gen.case().record() for _ in range(k))
            if "m0" in targets:
                streams["m0"] = b"".join(gen_m0.case().record() for _ in range(k))
            gen_seconds += time.monotonic() - t0
            for t in targets:
                t1 = time.monotonic()
                proc, lines = run_stream(t, exes[t], streams["m0" if t == "m0" else "host"], Path(tmp))
                res = results[t]
                res.seconds += time.monotonic() - t1
                if not lines or not lines[-1].startswith("calls "):
                    res.sanitizer_errors.append(
                        proc.stderr.decode(errors="replace")[-2000:] or f"exit {proc.returncode}"
                    )
                    res.mismatches += 1
                    continue
                _, got_calls, _, bad, _, got_split, _, got_pairs, _, got_refused = lines[-1].split()
                res.calls += int(got_calls)
                res.split_calls += int(got_split)
                res.pairs_calls += int(got_pairs)
                res.refused_calls += int(got_refused)
                res.cases += k
                res.mismatches += int(bad)
                for line in lines[:-1]:
                    if line.startswith("mismatch ") and len(res.first_mismatches) < 20:
                        _, idx, *rest = line.split()
                        res.first_mismatches.append(f"batch case {done + int(idx)}: {' '.join(rest)}")
            done += k
            summary = ", ".join(
                f"{t} {results[t].calls} calls ({results[t].split_calls} split, {results[t].pairs_calls} b8p, "
                f"{results[t].refused_calls} b8p refusals) {results[t].mismatches} mismatches"
                for t in targets
            )
            checked = gen.tflite_checks + gen_m0.tflite_checks
            n_bad = len(gen.tflite_mismatches) + len(gen_m0.tflite_mismatches)
            log(f"m0nn fuzz: {done}/{n_cases} cases; {summary}; tflite {checked} outputs {n_bad} mismatches "
                f"({time.monotonic() - start:.0f} s)")  # fmt: skip
        model_result = None
        if models:
            from m0nn.fuzz_models import run_models

            model_result = run_models(seed, models, targets, Path(tmp), log=log)
    return {
        "seed": seed,
        "models": model_result,
        "requested_calls": calls,
        "cases": n_cases,
        "redrawn_cases": gen.redrawn + gen_m0.redrawn,
        "generation_seconds": round(gen_seconds, 1),
        "total_seconds": round(time.monotonic() - start, 1),
        "python_reference": "m0nn.reference.fc_s8_raw",
        "tflite_reference": {
            "q31_outputs_checked": gen.tflite_checks + gen_m0.tflite_checks,
            "mismatches": len(gen.tflite_mismatches) + len(gen_m0.tflite_mismatches),
            "first_mismatches": (gen.tflite_mismatches + gen_m0.tflite_mismatches)[:20],
        },
        "targets": {
            t: {
                "calls": r.calls,
                "split_calls": r.split_calls,
                "pairs_calls": r.pairs_calls,
                "refused_calls": r.refused_calls,
                "cases": r.cases,
                "mismatches": r.mismatches,
                "seconds": round(r.seconds, 1),
                "first_mismatches": r.first_mismatches,
                "sanitizer_errors": r.sanitizer_errors[:5],
            }
            for t, r in results.items()
        },
    }


def ok(result: dict[str, Any]) -> bool:
    models = result.get("models") or {"targets": {}}
    return (
        result["tflite_reference"]["mismatches"] == 0
        and all(t["mismatches"] == 0 and not t["sanitizer_errors"] for t in result["targets"].values())
        and all(t["mismatches"] == 0 for t in models["targets"].values())
    )


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Differential fuzzing of the kernels",
        "",
        "Written by `m0nn fuzz` (python/m0nn/fuzz.py; the C side is test/fuzz/fuzz_driver.c); the same numbers",
        "are in `docs/fuzz.json`, which a test checks. Each case is one random or extreme layer; it runs on",
        "`m0nn_fc_s8` and on the blocked kernel of its requantization in both layouts (three calls; a fourth,",
        "`m0nn_fc_s8_b4*`, where the weights lie in [-8, 7]; one more, `m0nn_fc_s8_small`, for MUL32), and",
        "every output byte is compared with the Python integer reference. A case the pairs layout holds",
        '(docs/numerics.md "The pairs layout": MUL32, `in_size <= 64`, no weight pair (-128, -128) at inputs',
        "(a, b) of `pair_inputs`; decided, laid out and biased by `m0nn.layout`'s `pairs_fit`, `pairs4`, `pairs_bias`)",
        "also runs `m0nn_fc_s8_b8p` (the b8p calls); a case outside its domain (not MUL32, or more than 64",
        "inputs) checks that `m0nn_fc_s8_b8p` refuses it with `M0NN_ERR_QUANT` or `M0NN_ERR_SIZE` and",
        "leaves every output byte as it was (the b8p refusals, not counted in the calls). One case in ten",
        "is drawn at the pairs layout's lane edge: MUL32, 1-64 inputs, weight pairs such as (-128, -127),",
        "(127, 127), (-128, 127), (-128, 0), the input all -128 or at its ends (pair dots at 32640 and",
        "-32512, the low lane at 16384 and -16256). A Q31 case inside the domain of",
        'the split kernels (no 64-bit multiply; docs/numerics.md "Q31 without the 64-bit multiply"), as',
        "`m0nn.quant.q31_split_fits` decides it on the case's proven accumulator bound, also runs",
        "`m0nn_fc_s8_b8_q31_split` and `m0nn_fc_s8_b8w_q31_split` (and `m0nn_fc_s8_b4_q31_split` with",
        "4-bit weights); one case in ten is drawn at that domain's edge (bound 2^30 - 1 less 0..3, the",
        "input driving one accumulator towards it, multipliers near 2^31 - 1, shifts in [-31, -1]).",
        "Q31 layers are also compared with",
        "an independent TFLite-style reference (MultiplyByQuantizedMultiplier written from TFLite's",
        "definition in fuzz.py, not quant.py).",
        "",
        "The run recorded here:",
        "",
        "    m0nn fuzz --calls {} --models {} --seed {} {} -o docs".format(
            result["requested_calls"],
            (result.get("models") or {}).get("models", 0),
            result["seed"],
            " ".join(f"--target {t}" for t in result["targets"]),
        ),
        "",
        f"Seed {result['seed']}, {result['cases']} cases ({result['redrawn_cases']} draws outside the kernels'",
        f"contract redrawn), {result['total_seconds']} s in all ({result['generation_seconds']} s generating).",
        "",
        "| target | build | calls | split calls | b8p calls | b8p refusals | mismatches | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in result["targets"].items():
        build = M0_BUILD if name == "m0" else "gcc " + " ".join(TARGETS[name])
        lines.append(f"| {name} | {build} | {t['calls']} | {t['split_calls']} | {t['pairs_calls']} | "
                     f"{t['refused_calls']} | {t['mismatches']} | {t['seconds']} |")  # fmt: skip
    tfl = result["tflite_reference"]
    lines += [
        "",
        f"TFLite-style reference: {tfl['q31_outputs_checked']} Q31 outputs checked, {tfl['mismatches']} mismatches.",
        "",
    ]
    models = result.get("models")
    if models:
        lines += [
            "## Small models through the generator",
            "",
            f"{models['models']} random models of 1-3 layers (every kernel, requantization mode, zero points at",
            "their extremes, weight zero points, clamps) configured and rendered by the generator, compiled",
            f"in batches with lib/m0nn and run through `m0nn_model_run` on {models['vectors_per_model']} random",
            "inputs each (the first all -128), outputs compared with `m0nn.reference.run_int`. Half the",
            "`kernel=b8w` models are drawn MUL32 and some layers' weight pairs at the pairs layout's lane edge, so",
            "that layers run `m0nn_fc_s8_b8p` where `m0nn.plan.pairs_legal` admits them. Models the generator",
            f"refused with a one-line error and redrawn: {models['generator_refusals']}.",
            "Layers per kernel: " + ", ".join(f"{k} {v}" for k, v in models["layers_per_kernel"].items()) + ".",
            "",
            "| target | model runs | mismatches | seconds |",
            "|---|---|---|---|",
        ]
        for name, t in models["targets"].items():
            lines.append(f"| {name} | {t['model_runs']} | {t['mismatches']} | {t['seconds']} |")
        lines.append("")
    return "\n".join(lines)


def main(seed: int, calls: int, targets: list[str], out: Path | None, models: int = 0) -> int:
    result = run(seed, calls, targets, models=models)
    good = ok(result)
    print(f"m0nn fuzz: {'no mismatch' if good else 'MISMATCHES'}; " + ", ".join(
        f"{t}: {r['calls']} calls ({r['split_calls']} split, {r['pairs_calls']} b8p, {r['refused_calls']} b8p "
        f"refusals), {r['mismatches']} mismatches"
        for t, r in result["targets"].items()
    ) + f"; tflite: {result['tflite_reference']['q31_outputs_checked']} outputs, "
        f"{result['tflite_reference']['mismatches']} mismatches")  # fmt: skip
    if not good:
        for t, r in result["targets"].items():
            for line in r["first_mismatches"][:5] + r["sanitizer_errors"][:1]:
                print(f"  {t}: {line}", file=sys.stderr)
        for line in result["tflite_reference"]["first_mismatches"][:5]:
            print(f"  tflite: {line}", file=sys.stderr)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "fuzz.json").write_text(json.dumps(result, indent=1) + "\n")
        (out / "fuzz.md").write_text(markdown(result))
        print(f"m0nn fuzz: wrote {out / 'fuzz.json'} and {out / 'fuzz.md'}")
    return 0 if good else 1
