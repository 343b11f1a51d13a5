"""Elementwise float functions that become 256-entry int8 tables: each as
onnxruntime evaluates it, in float32, from the node's attributes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
Fn = Callable[[F32], F32]
Attr = Callable[[str, Any], Any]


def _f(v: object) -> np.float32:
    return np.float32(v)  # type: ignore[arg-type]


def _sigmoid(x: F32) -> F32:
    one = np.float32(1.0)
    return one / (one + np.exp(-x))


def _table(op: str, attr: Attr, consts: list[float | None]) -> Fn | None:
    """The float32 function of a unary node, or None when `op` is not one."""
    if op == "Relu":
        return lambda x: np.maximum(x, np.float32(0))
    if op == "Clip":
        lo = _f(consts[0] if consts[0] is not None else attr("min", -np.inf))
        hi = _f(consts[1] if consts[1] is not None else attr("max", np.inf))
        return lambda x: np.minimum(np.maximum(x, lo), hi)
    if op == "Sigmoid":
        return _sigmoid
    if op == "Tanh":
        return np.tanh
    if op == "LeakyRelu":
        a = _f(attr("alpha", 0.01))
        return lambda x: np.where(x >= 0, x, a * x).astype(np.float32)
    if op == "HardSigmoid":
        a, b = _f(attr("alpha", 0.2)), _f(attr("beta", 0.5))
        return lambda x: np.clip(a * x + b, np.float32(0), np.float32(1))
    if op == "HardSwish":
        a, b = _f(1.0 / 6.0), _f(0.5)
        return lambda x: x * np.clip(a * x + b, np.float32(0), np.float32(1))
    if op == "Elu":
        a = _f(attr("alpha", 1.0))
        return lambda x: np.where(x > 0, x, a * (np.exp(x) - np.float32(1))).astype(np.float32)
    if op == "Selu":
        a, g = _f(attr("alpha", 1.67326319217681884765625)), _f(attr("gamma", 1.05070102214813232421875))
        return lambda x: np.where(x > 0, g * x, g * (a * np.exp(x) - a)).astype(np.float32)
    if op == "Softplus":
        return lambda x: np.log(np.exp(x) + np.float32(1)).astype(np.float32)
    if op == "Softsign":
        return lambda x: (x / (np.float32(1) + np.abs(x))).astype(np.float32)
    if op == "Abs":
        return np.abs
    if op == "Neg":
        return np.negative
    if op == "Exp":
        return np.exp
    return None


UNARY_OPS = (
    "Relu",
    "Clip",
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "HardSigmoid",
    "HardSwish",
    "Elu",
    "Selu",
    "Softplus",
    "Softsign",
    "Abs",
    "Neg",
    "Exp",
)


def unary_function(op: str, attr: Attr, consts: list[float | None]) -> Fn | None:
    return _table(op, attr, consts)


def compose(fns: list[Fn]) -> Fn:
    def run(x: F32) -> F32:
        for f in fns:
            x = np.asarray(f(x), dtype=np.float32)
        return x

    return run
