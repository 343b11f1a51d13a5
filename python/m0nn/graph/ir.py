"""The typed integer form of a graph model: tensors and operators in
topological order. Every tensor is int8 with a per-tensor scale and zero point.

Layout: a tensor's logical shape is the ONNX shape without the batch axis,
(F,), (C, L) or (C, H, W). In memory it is channels-last: (C, L) is stored
[L][C] and (C, H, W) [H][W][C], as if 2-D with H = 1. A rank-1 tensor made by
flattening a spatial one keeps those bytes (`flat_of`); the fully connected
layer that reads it re-orders its weight columns on the host, so flattening
costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from m0nn.quant import Requant


@dataclass
class Tensor:
    id: int
    shape: tuple[int, ...]
    scale: float
    zero_point: int
    buf: int  # storage; a reshape shares its source's
    flat_of: tuple[int, int] | None = None  # rank 1 made by flattening (C, S) stored [S][C]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def hwc(self) -> tuple[int, int, int]:
        """(H, W, C) of the channels-last storage: (1, L, C) for (C, L), (1, 1, F) for (F,)."""
        if len(self.shape) == 1:
            return 1, 1, self.shape[0]
        if len(self.shape) == 2:
            return 1, self.shape[1], self.shape[0]
        return self.shape[1], self.shape[2], self.shape[0]

    def physical_order(self) -> NDArray[np.int64]:
        """Logical (row-major ONNX) index of each stored byte."""
        if len(self.shape) == 1 and self.flat_of is None:
            return np.arange(self.size, dtype=np.int64)
        c = self.flat_of[0] if self.flat_of is not None else self.shape[0]
        return np.arange(self.size, dtype=np.int64).reshape(c, -1).T.reshape(-1)

    @property
    def channels_last_differs(self) -> bool:
        """Whether the stored order differs from the ONNX order."""
        c, s = self.flat_of if self.flat_of is not None else (self.hwc[2], self.size // self.hwc[2])
        return c > 1 and s > 1

    def to_physical(self, x: NDArray[np.integer]) -> NDArray[np.int64]:
        """[N, logical size] -> [N, stored size]."""
        return np.asarray(x, np.int64).reshape(len(x), -1)[:, self.physical_order()]

    def to_logical(self, x: NDArray[np.integer]) -> NDArray[np.int64]:
        out = np.empty_like(np.asarray(x, np.int64))
        out[:, self.physical_order()] = x
        return out


@dataclass
class Op:
    name: str
    inputs: list[int]
    output: int

    @property
    def kind(self) -> str:
        return type(self).__name__.removesuffix("Op").lower()


@dataclass
class ConvOp(Op):
    """Conv over channels-last data. Standard: weights [Co][KH][KW][Ci];
    depthwise (multiplier > 0): weights [KH][KW][Co] with Co = Ci * multiplier,
    output channel c reading input channel c // multiplier."""

    weights: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    bias: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    depth_multiplier: int = 0  # 0: standard conv
    requant: Requant | None = None
    act_min: int = -128
    act_max: int = 127
    activation: str = "none"
    real_multiplier: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    weight_scale: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    bias_float: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


@dataclass
class FCOp(Op):
    """Fully connected on a rank-1 tensor (stored order): weights [out][in]."""

    weights: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    bias: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    requant: Requant | None = None
    act_min: int = -128
    act_max: int = 127
    activation: str = "none"
    real_multiplier: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    weight_scale: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    bias_float: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


@dataclass
class PoolOp(Op):
    """Max or average pooling (input and output share scale and zero point).
    Average: TFLite's rounding (half away from zero), divisor = the window
    (count_include_pad) or its valid part; `recips[c - 1]` divides by c."""

    mode: str = "max"
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    count_include_pad: bool = False
    recips: list[tuple[int, int]] = field(default_factory=list)
    # Average to another scale: per window count c, the q31 (M, shift) of
    # input_scale / (output_scale * c) applied to total * 2^pre_shift, so that
    # the rounding doubling multiply keeps fraction bits (recips then unused).
    rescale: list[tuple[int, int]] = field(default_factory=list)
    pre_shift: int = 0  # rescaled: the total is shifted left by this first (precision; no overflow)


@dataclass
class AddOp(Op):
    mults: tuple[tuple[int, int], ...] = ()
    act_min: int = -128
    act_max: int = 127


@dataclass
class LutOp(Op):
    """out = table[in + 128]: any int8 -> int8 function of one tensor."""

    table: NDArray[np.int64] = field(default_factory=lambda: np.zeros(256, np.int64))
    what: str = ""


@dataclass
class SoftmaxOp(Op):
    """Softmax over the last axis of a rank-1 tensor (rows = 1) or of rows of `length`."""

    length: int = 1
    exp_table: NDArray[np.int64] = field(default_factory=lambda: np.zeros(256, np.int64))
    out_mult: tuple[int, int] = (1, 0)


@dataclass
class ConcatOp(Op):
    """Two tensors joined on the channel axis (stored: per position, A's channels then B's)."""


@dataclass
class TransposeOp(Op):
    """[rows][cols] -> [cols][rows]: ONNX order in, channels-last out, or back."""

    rows: int = 1
    cols: int = 1


@dataclass
class GModel:
    name: str
    tensors: list[Tensor]
    ops: list[Op]
    input: int
    output: int
    source: str = ""
    sha256: str = ""
    producer: str = ""
    external: list[tuple[str, str]] = field(default_factory=list)  # external-data files: (path, sha256)
    onnx_input: tuple[int, ...] = ()  # the ONNX input's shape without the batch axis (empty: the input tensor's)

    def tensor(self, tid: int) -> Tensor:
        return self.tensors[tid]

    @property
    def input_tensor(self) -> Tensor:
        return self.tensors[self.input]

    @property
    def output_tensor(self) -> Tensor:
        return self.tensors[self.output]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """What the model takes per sample, as in the ONNX model: (F,), (C, L) or (C, H, W)
        (its input tensor may be that flattened, transposed to channels-last by an operator)."""
        return self.onnx_input or self.input_tensor.shape

    @property
    def input_size(self) -> int:
        return self.input_tensor.size

    @property
    def output_size(self) -> int:
        return self.output_tensor.size
