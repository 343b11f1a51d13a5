"""Shape arithmetic folded at import: torch exports `x.view(x.size(0), -1)` as
Shape -> Gather -> Unsqueeze -> Concat -> Reshape. Every tensor's shape is static
except the batch size, so such a chain is evaluated on the host with the batch
size as a symbol (None); the symbol may only reach a Reshape target's first entry
(the batch axis kept, as the device runs one sample). A value that needs the batch
size in arithmetic, or an op not listed here, is refused by the importer with the
node's name."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

ShapeVal = NDArray[np.object_]  # int entries, None for the batch size

FOLDED = ("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Identity", "Mul", "Add", "Sub")
_INT_CASTS = (6, 7)  # onnx.TensorProto.INT32, INT64


def shape_value(dims: tuple[int, ...], start: int = 0, end: int | None = None) -> ShapeVal:
    """What Shape (opset 15's start/end included) gives for an activation of shape `dims` (batch excluded)."""
    full: list[int | None] = [None, *(int(d) for d in dims)]
    return np.array(full[start:end] if end is not None else full[start:], dtype=object)


def _symbolic(v: NDArray[np.generic]) -> ShapeVal:
    return np.array(
        [None if x is None else int(x) for x in np.asarray(v, dtype=object).reshape(-1)], dtype=object
    ).reshape(np.shape(v))


def _axes(attrs: dict[str, object], args: list[NDArray[np.generic] | None]) -> list[int] | None:
    """Unsqueeze/Squeeze axes: the attribute (opset < 13) or the second input."""
    if len(args) > 1 and args[1] is not None:
        return [int(a) for a in np.asarray(args[1]).reshape(-1)]
    a = attrs.get("axes")
    return None if a is None else [int(x) for x in a]  # type: ignore[attr-defined]


def fold(op: str, args: list[NDArray[np.generic] | None], attrs: dict[str, object]) -> ShapeVal:
    """The value of `op` over shape values and constants; ValueError says why not."""
    if op not in FOLDED:
        raise ValueError(
            f"a shape value reaches {op}, which m0nn does not fold; use nn.Flatten or x.view(x.size(0), -1)"
        )
    if args[0] is None:
        raise ValueError("the first input is neither a shape nor a constant")
    x = _symbolic(args[0])
    if op == "Identity":
        return x
    if op == "Cast":
        if attrs.get("to") not in _INT_CASTS:
            raise ValueError("a shape may only be cast to int32 or int64")
        return x
    if op == "Gather":
        if int(attrs.get("axis", 0)) != 0 or len(args) < 2 or args[1] is None:  # type: ignore[call-overload]
            raise ValueError("only Gather on axis 0 with constant indices is folded")
        idx = np.asarray(args[1]).astype(np.int64)
        if x.ndim != 1 or np.any(idx >= len(x)) or np.any(idx < -len(x)):
            raise ValueError(f"indices {idx.tolist()} outside a shape of {len(x)} entries")
        return np.asarray(x[idx], dtype=object)
    if op == "Unsqueeze":
        axes = _axes(attrs, args)
        if axes is None:
            raise ValueError("Unsqueeze without axes")
        out = x
        rank = x.ndim + len(axes)
        for a in sorted(a % rank for a in axes):
            out = np.expand_dims(out, a)
        return out
    if op == "Squeeze":
        axes = _axes(attrs, args)
        return np.squeeze(x, axis=None if axes is None else tuple(axes))
    if op == "Concat":
        parts = [_symbolic(a) for a in args if a is not None]
        if len(parts) != len(args) or any(p.ndim != 1 for p in parts):
            raise ValueError("only a Concat of 1-D shapes and constants is folded")
        return np.concatenate(parts)
    if op == "Slice":
        if x.ndim != 1 or len(args) < 3 or any(a is None for a in args[1:]):
            raise ValueError("only a Slice of a 1-D shape with constant starts/ends is folded")
        bounds = [int(np.asarray(a).reshape(-1)[0]) for a in args[1:3]]
        steps = int(np.asarray(args[4]).reshape(-1)[0]) if len(args) > 4 else 1
        return x[bounds[0] : bounds[1] : steps]
    # Mul, Add, Sub: only on static entries
    if len(args) != 2 or args[1] is None:
        raise ValueError(f"{op} needs two shape or constant inputs")
    y = _symbolic(args[1])
    if any(v is None for v in [*x.reshape(-1), *y.reshape(-1)]):
        raise ValueError(f"{op} of the batch size (dynamic) cannot be folded; keep the batch axis as x.size(0)")
    lhs, rhs = x.astype(np.int64), y.astype(np.int64)
    return np.asarray({"Mul": lhs * rhs, "Add": lhs + rhs, "Sub": lhs - rhs}[op], dtype=object)


def reshape_target(value: ShapeVal) -> list[int]:
    """A folded Reshape target as ints; the batch size only as the first entry (kept: 0 copies it)."""
    flat = list(value.reshape(-1))
    if any(v is None for v in flat[1:]):
        raise ValueError(f"the target shape {['N' if v is None else v for v in flat]} moves the batch size off axis 0")
    return [0 if v is None else int(v) for v in flat]
