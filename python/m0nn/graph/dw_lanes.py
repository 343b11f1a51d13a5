"""The tables of the depthwise 3x3 / 1x3 fast path (m0nn_depthwise_conv_s8 with
lane tables; docs/numerics.md "Depthwise 3x3"): the Python side is their one
definition.

A channel's plane is packed as words W(j) = (x[j] + 129) + 2^16 x[j + 1] (the
low lane u = x + 129 in [1, 256], the high lane x' signed); one MULS by the
signed weight w gives P = u w + 2^16 x' w, and P >> 16 = x' w - (w < 0). Over
the taps, S = sum P and H = sum (P >> 16) (modulo 2^32), and the two outputs'
accumulators are acc0 = S - (H << 16) + B0 and acc1 = H + B1 with

    B1 = bias + input_offset sum w + n,  B0 = bias + (input_offset - 129) sum w - 2^16 n

(n: the channel's negative weights, the borrows). Per channel the host emits
{B0, B1} (lane_consts, int32 modulo 2^32) and the weights as bytes, ky-major
(lane_weights: three words w0..w3, w4..w7, w8; one word w0..w2 for a 1x3 kernel),
so the kernel sets a channel up with a few loads instead of a pass over its
weights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from m0nn.graph.ir import ConvOp


def fast_shape(op: ConvOp) -> bool:
    """The shapes the fast path takes (the C test in m0nn_depthwise_conv_s8 is the same):
    multiplier 1, a 3x3 kernel without dilation or a 1x3 one (any dilation_h), stride_w 1.

    >>> fast_shape(ConvOp("d", [0], 1, kernel=(3, 3), depth_multiplier=1))
    True
    >>> fast_shape(ConvOp("d", [0], 1, kernel=(3, 3), stride=(1, 2), depth_multiplier=1))
    False
    """
    (kh, kw), (_, sw), (dh, dw) = op.kernel, op.stride, op.dilation
    return op.depth_multiplier == 1 and kw == 3 and sw == 1 and dw == 1 and (kh == 1 or (kh == 3 and dh == 1))


def _wrap32(v: NDArray[np.int64]) -> NDArray[np.int32]:
    return ((v + 2**31) % 2**32 - 2**31).astype(np.int32)


def tap_weights(op: ConvOp) -> NDArray[np.int64]:
    """[C][taps]: each channel's weights, ky-major."""
    w = op.weights.astype(np.int64)  # [KH][KW][C]
    return w.reshape(-1, w.shape[-1]).T


def dw_consts(op: ConvOp, input_offset: int) -> NDArray[np.int32]:
    """[C][2]: B0, B1 per channel (modulo 2^32).

    >>> op = ConvOp("d", [0], 1, weights=np.array([[[-2], [3], [-1]]], np.int8), bias=np.array([10], np.int32),
    ...             kernel=(1, 3), depth_multiplier=1)
    >>> dw_consts(op, 5).tolist()  # sum w = 0, n = 2
    [[-131062, 12]]
    """
    w = tap_weights(op)
    sum_w = w.sum(axis=1)
    neg = (w < 0).sum(axis=1)
    bias = op.bias.astype(np.int64)
    b0 = bias + (input_offset - 129) * sum_w - (neg << 16)
    b1 = bias + input_offset * sum_w + neg
    return _wrap32(np.stack([b0, b1], axis=1))


def dw_weight_words(op: ConvOp) -> NDArray[np.uint32]:
    """[C][3] ([C][1] for 1x3): the weights as bytes, byte k of word j = w[4 j + k] (two's complement).

    >>> [hex(v) for v in dw_weight_words(ConvOp("d", [0], 1, weights=np.array([[[-2], [3], [-128]]], np.int8),
    ...                                                  kernel=(1, 3), depth_multiplier=1))[0]]
    ['0x8003fe']
    """
    w = tap_weights(op)
    words_per = (w.shape[1] + 3) // 4
    taps = np.zeros((w.shape[0], 4 * words_per), np.int64)
    taps[:, : w.shape[1]] = w & 0xFF
    words = (taps.reshape(w.shape[0], words_per, 4) << np.array([0, 8, 16, 24])).sum(axis=2)
    return words.astype(np.uint32)
