"""The typed, integer form of a model: what the importer produces and the
reference, the code generator and the checks consume."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from m0nn.quant import Requant
from m0nn.settings import BLOCKED


@dataclass
class FCLayer:
    """One int8 fully connected layer with its fused activation.

    weights [out, in] int8 symmetric; bias [out] int32 with the input zero point
    already folded in (bias - input_zero_point * sum(weights[o])), so the kernel
    runs with input_offset = 0. act_min/act_max is the fused activation's clamp.
    """

    name: str
    weights: NDArray[np.int8]
    bias: NDArray[np.int32]
    requant: Requant
    act_min: int
    act_max: int
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    weight_scale: NDArray[np.float64]
    bias_float: NDArray[np.float64]
    activation: str = "none"  # "none", "relu" or "clip"
    real_multiplier: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    # "ref" (m0nn_fc_s8), "small" (m0nn_fc_s8_small), "b8", "b8w" (m0nn_fc_s8_b8*), "b4" (m0nn_fc_s8_b4)
    # or "b8p" (m0nn_fc_s8_b8p); m0nn.plan
    kernel: str = "ref"
    multiplier_bits: int = 31  # precision of the requantization multiplier
    # Applied at run time (m0nn_fc_s8_params_t.weight_zero_point): empty when the
    # weights are symmetric or their zero point was folded into them on the host;
    # else 1 or out values in [-128, 127], the weights stored as int8 beside it.
    weight_zero_point: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def effective_weights(self) -> NDArray[np.int64]:
        """The weights the arithmetic sees: stored weights minus their zero point."""
        w = np.asarray(self.weights, dtype=np.int64)
        if self.weight_zero_point.size == 0:
            return w
        return w - np.broadcast_to(self.weight_zero_point.reshape(-1), (w.shape[0],))[:, None]

    @property
    def in_size(self) -> int:
        return int(self.weights.shape[1])

    @property
    def out_size(self) -> int:
        return int(self.weights.shape[0])


@dataclass
class QModel:
    """A chain of layers with the model's input and output quantization."""

    name: str
    layers: list[FCLayer]
    source: str = ""
    sha256: str = ""
    producer: str = ""
    external: list[tuple[str, str]] = field(default_factory=list)  # external-data files: (path, sha256)
    input_min: int = -128  # the input's clamp (narrower for 7-bit activations, e.g. torch's reduce_range)
    input_max: int = 127

    @property
    def input_size(self) -> int:
        return self.layers[0].in_size

    @property
    def output_size(self) -> int:
        return self.layers[-1].out_size

    @property
    def input_scale(self) -> float:
        return self.layers[0].input_scale

    @property
    def input_zero_point(self) -> int:
        return self.layers[0].input_zero_point

    @property
    def output_scale(self) -> float:
        return self.layers[-1].output_scale

    @property
    def output_zero_point(self) -> int:
        return self.layers[-1].output_zero_point

    def arena_size(self) -> int:
        """Bytes of the ping-pong arena: the largest pair of activations held at
        once (a single one when there is no pair), each rounded up to whole
        words; 0 for one layer that reads int8. A first layer that reads
        offset-binary input (the blocked kernel) also holds the converted model
        input next to its output. m0nn_model_run starts a tensor at the arena's
        end on a multiple of 4 bytes, so with an aligned arena every layer's
        input is aligned; the size is the same for m0nn_model_run_small (which
        does not need the rounding), so a model runs under either runner.

        >>> from m0nn.bench import synthetic_model
        >>> from m0nn.plan import configure
        >>> from m0nn.settings import Settings
        >>> m = synthetic_model("m", [16, 10, 6, 4], 0)
        >>> configure(m, Settings(kernel="b8w")).arena_size(), configure(m, Settings(kernel="small")).arena_size()
        (28, 20)
        """

        def size(n: int) -> int:
            return (n + 3) & ~3

        inner = [size(layer.out_size) for layer in self.layers[:-1]]
        held = [a + b for a, b in zip(inner, inner[1:], strict=False)] + inner
        first = self.layers[0]
        if first.kernel in BLOCKED:
            held.append(size(first.in_size) + (size(first.out_size) if len(self.layers) > 1 else 0))
        return max(held, default=0)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
