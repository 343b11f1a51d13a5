"""Deployment choices per layer: which C kernel runs it and which requantization.

Kernels: "b8" (m0nn_fc_s8_b8: 8-row blocked weights, assembly loops on
ARMv6-M), "b8w" (m0nn_fc_s8_b8w: the same with each weight in a 16-bit lane,
twice the flash, no unpacking in the loop; its layers that pairs_legal accepts run
"b8p", m0nn_fc_s8_b8p: two inputs of one row per multiply) or "ref" (m0nn_fc_s8: the TFLite
Micro-style reference loop) or "small" (m0nn_fc_s8_small: the same loop,
MUL32 only, for the least code); with settings.int4, a layer whose weights all lie
in [-8, 7] runs "b4" instead of a blocked kernel (m0nn_fc_s8_b4: packed 4-bit
weights, half of b8's flash).
Requantization: "q31" (TFLite's, 64-bit product), "mul32" (one 32-bit
multiply with a narrower multiplier, allowed only where the accumulator bound
proves it exact), or "auto" (mul32 where its multiplier keeps at least
`min_bits` bits in every channel, else q31).
"""

from __future__ import annotations

import numpy as np

from m0nn.errors import ModelError
from m0nn.layout import PAIRS_MAX_IN, fits_int4, pairs_fit
from m0nn.model import FCLayer, QModel
from m0nn.quant import (
    Requant,
    accumulator_bound,
    narrow_multiplier_for_bound,
    power_of_two_shift,
    quantize_multiplier,
)
from m0nn.settings import Settings


def q31(layer: FCLayer) -> Requant:
    pairs = [quantize_multiplier(float(r)) for r in layer.real_multiplier]
    return Requant("q31", np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32))


def _bounds(layer: FCLayer) -> np.ndarray:
    bounds = accumulator_bound(layer.effective_weights, layer.bias)
    return np.array([bounds.max()]) if layer.real_multiplier.size == 1 else bounds


def mul32(layer: FCLayer, max_bits: int = 31) -> tuple[Requant, int]:
    """Per channel, the widest multiplier (at most `max_bits`) the channel's own
    bound allows; returns the requantization and the narrowest width used."""
    triples = [
        narrow_multiplier_for_bound(float(r), int(b), max_bits)
        for r, b in zip(layer.real_multiplier, _bounds(layer), strict=True)
    ]
    rq = Requant("mul32", np.array([t[0] for t in triples], np.int32), np.array([t[1] for t in triples], np.int32))
    return rq, min(t[2] for t in triples)


def pow2(layer: FCLayer) -> Requant:
    """Every multiplier rounded to the nearest power of two: a shift, no multiply."""
    shifts = np.array([power_of_two_shift(float(r)) for r in layer.real_multiplier], np.int32)
    for s, b in zip(shifts, _bounds(layer), strict=True):
        if int(b) + ((1 << (-int(s) - 1)) if s < 0 else 0) > 2**31 - 1:
            raise ModelError(f"the shift-only path can overflow (|acc| up to {int(b)})")
    return Requant("shift", np.ones_like(shifts), shifts)


def pairs_legal(layer: FCLayer) -> bool:
    """Whether a `kernel=b8w` layer runs the pairs layout instead (m0nn_fc_s8_b8p,
    two inputs per multiply): MUL32 requantization, no run-time weight zero point,
    in_size <= 64 (the unrolled loop's 32 pairs) and no row with the weight pair
    (-128, -128) at a pair of inputs (m0nn.layout.pair_inputs: its dot leaves the
    16-bit lane); any
    other b8w layer keeps the wide lanes layout (docs/numerics.md)."""
    return (
        layer.kernel == "b8w"
        and layer.requant.mode == "mul32"
        and layer.weight_zero_point.size == 0
        and layer.in_size <= PAIRS_MAX_IN
        and pairs_fit(layer.weights)
    )


def _q31_advice(kernel: str, bits: int | None) -> str:
    """What to do about a layer MUL32 cannot run: q31, which kernel=small does not have,
    so for it another kernel or (when MUL32 has `bits` bits at all) a lower min_bits.

    >>> _q31_advice("b8", 6)
    'use q31'
    >>> _q31_advice("small", None)
    'it needs q31, which kernel=small does not have: use kernel b8, b8w or ref'
    """
    if kernel != "small":
        return "use q31"
    other = "it needs q31, which kernel=small does not have: use kernel b8, b8w or ref"
    if bits is None:
        return other
    return (
        f"{other}, or lower min_bits (custom_m0nn_min_bits, --min-bits) to {bits}: "
        "a coarser multiplier, check the accuracy with m0nn check"
    )


def configure(model: QModel, settings: Settings) -> QModel:
    """Set every layer's kernel and requantization (in place; returns the model)."""
    try:
        settings.check()
    except ValueError as exc:
        raise ModelError(str(exc)) from None
    kernel, requant, min_bits = settings.kernel, settings.requant, settings.min_bits
    if kernel == "small":
        requant = "mul32"  # its only requantization: a layer that cannot have it is refused
    for i, layer in enumerate(model.layers):
        layer.kernel = kernel
        if kernel in ("b8", "b8w") and settings.int4 != "off":
            if fits_int4(layer.weights):
                layer.kernel = "b4"
            elif settings.int4 == "force":
                raise ModelError(
                    f"layer {i} ({layer.name}): int4=force, but its weights span "
                    f"[{int(layer.weights.min())}, {int(layer.weights.max())}], not [-8, 7]"
                )
        if requant == "q31":
            layer.requant, layer.multiplier_bits = q31(layer), 31
            continue
        if requant == "pow2":
            try:
                layer.requant, layer.multiplier_bits = pow2(layer), 1
            except ModelError as exc:
                raise ModelError(f"layer {i} ({layer.name}): {exc}") from None
            continue
        try:
            rq, bits = mul32(layer)
        except ModelError as exc:  # no width is provably exact: q31, or a clear refusal for mul32
            if requant == "mul32":
                raise ModelError(f"layer {i} ({layer.name}): {exc}; {_q31_advice(kernel, None)}") from None
            layer.requant, layer.multiplier_bits = q31(layer), 31
            continue
        if bits >= min_bits:
            layer.requant, layer.multiplier_bits = rq, bits
        elif requant == "mul32":
            raise ModelError(
                f"layer {i} ({layer.name}): the single 32-bit multiply leaves only {bits} multiplier bits "
                f"(minimum {min_bits}); {_q31_advice(kernel, bits)}"
            )
        else:
            layer.requant, layer.multiplier_bits = q31(layer), 31
    for layer in model.layers:
        if pairs_legal(layer):
            layer.kernel = "b8p"
    return model
