"""Requantization of a graph model's conv and fully connected operators,
chosen as for FC models (m0nn.plan, the same Settings): "q31" everywhere;
"mul32" (one 32-bit multiply, allowed only where the accumulator bound proves
it exact); "auto" (mul32 where every channel keeps at least min_bits multiplier
bits, else q31); "pow2" (shift only). The graph's FC ops run m0nn_fc_s8 (the
`kernel` setting applies to FC-only models)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from m0nn.errors import ModelError
from m0nn.graph.ir import ConvOp, FCOp, GModel
from m0nn.names import display
from m0nn.quant import INT32_MAX, Requant, narrow_multiplier_for_bound, power_of_two_shift, quantize_multiplier
from m0nn.settings import Settings


def accumulator_bounds(op: ConvOp | FCOp) -> NDArray[np.int64]:
    """Per output channel, the largest |acc| any input reaches: conv inputs enter as
    x - zp in [-255, 255]; the FC op's zero point is folded, inputs in [-128, 127]."""
    w = np.abs(op.weights.astype(np.int64))
    if isinstance(op, FCOp):
        per, reach = w.sum(axis=1), 128
    elif op.depth_multiplier:
        per, reach = w.reshape(-1, w.shape[-1]).sum(axis=0), 255
    else:
        per, reach = w.reshape(w.shape[0], -1).sum(axis=1), 255
    return np.abs(op.bias.astype(np.int64)) + reach * per


def _q31(real: NDArray[np.float64]) -> Requant:
    pairs = [quantize_multiplier(float(r)) for r in real]
    return Requant("q31", np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32))


def configure_graph(model: GModel, settings: Settings) -> GModel:
    try:
        settings.check()
    except ValueError as exc:
        raise ModelError(str(exc)) from None
    for i, op in enumerate(model.ops):
        if not isinstance(op, ConvOp | FCOp):
            continue
        bounds = accumulator_bounds(op)
        if bounds.max() > INT32_MAX:
            raise ModelError(
                f"op {i} ({display(op.name)}): the int32 accumulator can overflow (|acc| up to {bounds.max()})"
            )
        real = op.real_multiplier
        if settings.requant == "q31":
            op.requant = _q31(real)
            continue
        if settings.requant == "pow2":
            shifts = np.array([power_of_two_shift(float(r)) for r in real], np.int32)
            for s, b in zip(shifts, bounds, strict=True):
                if int(b) + ((1 << (-int(s) - 1)) if s < 0 else 0) > INT32_MAX:
                    raise ModelError(
                        f"op {i} ({display(op.name)}): the shift-only path can overflow (|acc| up to {int(b)})"
                    )
            op.requant = Requant("shift", np.ones_like(shifts), shifts)
            continue
        triples = [narrow_multiplier_for_bound(float(r), int(b)) for r, b in zip(real, bounds, strict=True)]
        bits = min(t[2] for t in triples)
        if bits >= settings.min_bits:
            m = np.array([t[0] for t in triples], np.int32)
            op.requant = Requant("mul32", m, np.array([t[1] for t in triples], np.int32))
        elif settings.requant == "mul32":
            raise ModelError(
                f"op {i} ({display(op.name)}): the single 32-bit multiply leaves only {bits} multiplier bits "
                f"(minimum {settings.min_bits}); use q31"
            )
        else:
            op.requant = _q31(real)
    return model
