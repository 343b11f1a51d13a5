"""The lane layout of a standard convolution (m0nn_conv_s8's fast path; the
Python side is its one definition, docs/numerics.md "Conv in lanes").

Per output row the kernel copies the input rows a window touches into a band
of at most SCRATCH bytes on the stack, column-major: band[col][ky][ci] = x + 128
(offset-binary; taps in the padding hold the zero point), so one output's window
is one contiguous run of K = kernel_w * kernel_h * in_c bytes, stride_w columns
after the previous one (with column dilation the band holds each window in turn
instead, K bytes apart). The weights are re-laid in that window order and in
blocks of 8 output channels (a last block of at most 4 channels is 4 wide):
for each window input, one 32-bit word per pair of channels, the low channel's
w + 128 in bits 0-15 and the high channel's w (signed) in bits 16-31, the
pairs in the order (0, 2), (1, 3), (4, 6), (5, 7). One MULS of an activation u
(0..255) by such a word gives u (w_lo + 128) + 2^16 u w_hi with the low product
in [0, 2^16), so S = sum u * word and H = sum (u * word) >> 16 (arithmetic)
give the high channel's sum exactly in H and the low one's as S - (H << 16).

Exact: u w_lo' with w_lo' = w_lo + 128 lies in [0, 255 * 255], and u * word =
u w_lo' + 2^16 u w_hi lies in [-2^16 * 255 * 128, 2^16 * 255 * 127 + 255 * 255],
inside int32, so its arithmetic shift by 16 is u w_hi exactly; S and H are sums
modulo 2^32 whose final values are the channels' accumulators, which the
generator proves fit int32 (|bias| + 255 sum |w|). The kernel counts the chunks
of 16 inputs left in bits 24-31 of its sum of u, which stays below 2^24 because a
window has at most SCRATCH bytes (tile_positions is 0 for a larger window: the
straightforward loop then runs).

The constants start with the number of output positions one band holds; then
per block the initial S and H of each pair (bias + (input_offset - 128) * sum w:
the input zero point and the 128 folded in; the low channels' -128 * sum u is
added per window by the kernel), then per channel {multiplier, right shift} in
the order the kernel requantizes them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from m0nn.graph.ir import ConvOp, Tensor
from m0nn.layout import block8_bias, block_rows

SCRATCH = 640  # M0NN_CONV_SCRATCH: bytes of the band on the stack
PAIRS = [(0, 2), (1, 3), (4, 6), (5, 7)]  # the lane words of one input, 8-wide block
# The (low, high) pairs in the order the kernel loads their initial S and H, per block width.
INIT_ORDER = {8: [(1, 3), (4, 6), (0, 2), (5, 7)], 4: [(1, 3), (0, 2)]}
# The channels in the order the kernel requantizes them, per block width.
REQUANT_ORDER = {8: [0, 2, 3, 1, 6, 4, 7, 5], 4: [0, 2, 3, 1]}


def window_weights(op: ConvOp) -> NDArray[np.int64]:
    """[Co][K]: each channel's weights in window order (kernel column, row, input channel).

    >>> w = np.arange(8, dtype=np.int8).reshape(1, 2, 2, 2)  # [Co][KH][KW][Ci]
    >>> window_weights(ConvOp("c", [0], 1, weights=w, kernel=(2, 2))).tolist()
    [[0, 1, 4, 5, 2, 3, 6, 7]]
    """
    w = op.weights.astype(np.int64)
    return w.transpose(0, 2, 1, 3).reshape(w.shape[0], -1)


def band_bytes(op: ConvOp, src: Tensor, positions: int) -> int:
    """Bytes of the band that holds `positions` adjacent outputs of one row: the
    columns they span, or with column dilation each window in turn."""
    (kh, kw), sw, dw = op.kernel, op.stride[1], op.dilation[1]
    columns = positions * kw if dw > 1 else (positions - 1) * sw + kw
    return columns * kh * src.hwc[2]


def tile_positions(op: ConvOp, src: Tensor, dst: Tensor) -> int:
    """The most outputs of a row one band of SCRATCH bytes holds (at most the row), 0 if not one."""
    ow = dst.hwc[1]
    n = 0
    while n < ow and band_bytes(op, src, n + 1) <= SCRATCH:
        n += 1
    return n


def lane_words(w: NDArray[np.integer]) -> NDArray[np.uint32]:
    """The lane words of [Co][K] weights: per block, per input, one word per pair.

    >>> [hex(v) for v in lane_words(np.array([[1], [2], [-3]]))]
    ['0xfffd0081', '0x82']
    """
    w = np.asarray(w, dtype=np.int64)
    n_in = w.shape[1]
    parts = []
    for b, rows in enumerate(block_rows(w.shape[0])):
        width = 4 if rows <= 4 else 8
        block = np.zeros((8, n_in), dtype=np.int64)
        block[:rows] = w[8 * b : 8 * b + rows]
        words = [(block[lo] + 128) + (block[hi] << 16) for lo, hi in PAIRS[: width // 2]]
        parts.append(np.stack(words, axis=1).reshape(-1))  # [input][pair]
    return (np.concatenate(parts) & 0xFFFFFFFF).astype(np.uint32)


def lane_consts(op: ConvOp, src: Tensor, dst: Tensor, positions: int) -> NDArray[np.int32]:
    """The constants: `positions`, then per block the initial S/H pairs and {multiplier, right}."""
    assert op.requant is not None
    w = window_weights(op)
    bias = block8_bias(op.bias, w, -src.zero_point)
    out: list[int] = [positions]
    for b, rows in enumerate(block_rows(w.shape[0])):
        width = 4 if rows <= 4 else 8
        ch = [8 * b + r if r < rows else -1 for r in range(8)]
        b_of = [int(bias[c]) if c >= 0 else 0 for c in ch]  # padded rows: weights 0, bias 0
        for lo, hi in INIT_ORDER[width]:
            out += [b_of[lo] + (b_of[hi] << 16), b_of[hi]]
        for r in REQUANT_ORDER[width]:
            c = ch[r]
            m = int(op.requant.multiplier[c if op.requant.per_channel else 0]) if c >= 0 else 0
            s = int(op.requant.shift[c if op.requant.per_channel else 0]) if c >= 0 else -1
            out += [m, -s]
    return ((np.array(out, dtype=np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)
