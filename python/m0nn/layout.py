"""Data layouts of the blocked C kernels (the Python side is their one definition):
weights, the folded bias and offset-binary activations."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

BLOCK = 8
HALF = 4
# Row of each 16-bit lane of the wide layout: words E = (0, 2), O = (1, 3), then rows 4-7.
WIDE_ORDER = [0, 2, 1, 3, 4, 6, 5, 7]


def block_rows(out_size: int) -> list[int]:
    """Rows of each block: 8, and a last block of 1-7 rows (stored 4 wide when
    it has at most 4).

    >>> block_rows(19)
    [8, 8, 3]
    """
    return [min(BLOCK, out_size - o) for o in range(0, out_size, BLOCK)]


def block8(weights: NDArray[np.integer], wide: bool = False) -> NDArray[np.uint8]:
    """m0nn_fc_s8_b8's layout: rows in blocks of 8, each block input-major
    (8 bytes per input), each weight stored as w + 128 (uint8). A last block of
    5-7 rows is padded with zero weights to 8; one of 1-4 rows to 4 (4 bytes
    per input), which the kernels run with a 4-row loop.

    wide (m0nn_fc_s8_b8w): each weight in a little-endian 16-bit lane, rows in
    the order 0, 2, 1, 3, 4, 6, 5, 7 of the ARMv6-M loop's words E = v0 | v2 << 16,
    O = v1 | v3 << 16 (and the same for rows 4-7): twice the bytes, no split.

    >>> block8(np.array([[1, 2], [-3, -128]], dtype=np.int8)).tolist()
    [129, 125, 128, 128, 130, 0, 128, 128]
    >>> block8(np.array([[1], [-3]], dtype=np.int8), wide=True).tolist()
    [129, 0, 128, 0, 125, 0, 128, 0]
    """
    w = np.asarray(weights, dtype=np.int64)
    n_in = w.shape[1]
    parts = []
    for b, rows in enumerate(block_rows(w.shape[0])):
        width = HALF if rows <= HALF else BLOCK
        block = np.zeros((width, n_in), dtype=np.int64)
        block[:rows] = w[BLOCK * b : BLOCK * b + rows]
        v = block.T + 128  # [input, row]
        if wide:
            v = v[:, WIDE_ORDER[:width]]
            v = np.stack([v, np.zeros_like(v)], axis=-1)  # little-endian 16-bit lanes
        parts.append(v.reshape(-1))
    return np.concatenate(parts).astype(np.uint8)


def fits_int4(weights: NDArray[np.integer]) -> bool:
    """Whether every weight lies in [-8, 7] (a layer trained at 4 bits), so the
    packed 4-bit layout holds it.

    >>> fits_int4(np.array([[-8, 7]])), fits_int4(np.array([[8]]))
    (True, False)
    """
    w = np.asarray(weights)
    return bool(w.size == 0 or (w.min() >= -8 and w.max() <= 7))


def block4(weights: NDArray[np.integer]) -> NDArray[np.uint8]:
    """m0nn_fc_s8_b4's layout: rows in blocks of 8 (a last one of 1-7 rows
    padded with zero weights), for each input one little-endian 32-bit word of
    the 8 rows' w + 8 as nibbles, row r at bits 4r. Weights must fit [-8, 7].

    >>> block4(np.array([[1], [-8], [7]], dtype=np.int8)).tolist()
    [9, 143, 136, 136]
    """
    w = np.asarray(weights, dtype=np.int64)
    if not fits_int4(w):
        raise ValueError("weights outside [-8, 7] do not fit the 4-bit layout")
    n_out, n_in = w.shape
    blocks = -(-n_out // BLOCK)
    v = np.full((blocks * BLOCK, n_in), 8, dtype=np.uint32)
    v[:n_out] = w + 8
    v = v.reshape(blocks, BLOCK, n_in).transpose(0, 2, 1)  # [block, input, row]
    words = (v << (4 * np.arange(BLOCK, dtype=np.uint32))).sum(axis=-1, dtype=np.uint32)
    return words.astype("<u4").reshape(-1).view(np.uint8).copy()


def block8_bias(
    bias: NDArray[np.integer] | None, weights: NDArray[np.integer], input_offset: int = 0
) -> NDArray[np.int64]:
    """The blocked kernels' bias: input_offset and the 128 of offset-binary input
    folded in, bias + (input_offset - 128) * sum_i w[o][i], so that
    bias' + sum_i u_i w[o][i] with u = q + 128 is the layer's accumulator.
    int64: the caller checks that it fits int32.

    >>> block8_bias(np.array([10, 0]), np.array([[1, 2], [-3, 0]]), 5).tolist()
    [-359, 369]
    """
    w = np.asarray(weights, dtype=np.int64)
    b = np.zeros(w.shape[0], np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    return b + (input_offset - 128) * w.sum(axis=1)


# The pairs layout (m0nn_fc_s8_b8p): in_size up to 2 * the ARMv6-M loop's unrolled pairs.
PAIRS_MAX_IN = 64
PAIRS_GROUP = 4


def pair_inputs(n_in: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The pairs layout's input pairs (a, b), P = ceil(n_in / 2) of them, in the
    order the kernel stages them: (4g, 4g + 2) and (4g + 1, 4g + 3) for each whole
    group of 4 inputs (one word of offset-binary input, split by two masks), then
    (a, a + 1) for the last n_in mod 4; b = n_in (past the input, x = w = 0) for
    the last pair of an odd n_in.

    >>> [list(map(int, v)) for v in pair_inputs(7)]
    [[0, 1, 4, 6], [2, 3, 5, 7]]
    """
    groups = n_in // 4
    a = [4 * g + j for g in range(groups) for j in (0, 1)] + list(range(4 * groups, n_in, 2))
    return np.array(a, dtype=np.int64), np.array([i + (2 if i < 4 * groups else 1) for i in a], dtype=np.int64)


def pairs_fit(weights: NDArray[np.integer]) -> bool:
    """Whether no row holds the weight pair (-128, -128) at a pair of inputs
    (a, b) of pair_inputs: the one pair whose two-input dot, 2 * (-128) * (-128)
    = 32768, leaves the signed 16-bit lane the pairs loop extracts
    (docs/numerics.md).

    >>> pairs_fit(np.array([[-128, 5, -128, 5]])), pairs_fit(np.array([[-128, -128, 5, 5]]))
    (False, True)
    >>> pairs_fit(np.array([[-128, -128, 5]])), pairs_fit(np.array([[1, -128, -128]]))
    (False, True)
    """
    w = np.asarray(weights, dtype=np.int64)
    a, b = pair_inputs(w.shape[1])
    w = np.pad(w, ((0, 0), (0, 1)))
    return not bool(((w[:, a] == -128) & (w[:, b] == -128)).any())


def pairs_weights(pair_values: NDArray[np.integer], n_in: int) -> NDArray[np.int64]:
    """Weights [row, input] from values [row, pair, 2] given per pair (a, b) of
    pair_inputs(n_in) (test data at the lane's edges; an odd n_in drops the last
    pair's second value).

    >>> pairs_weights(np.array([[[1, 2], [3, 4]]]), 4).tolist()
    [[1, 3, 2, 4]]
    """
    v = np.asarray(pair_values, dtype=np.int64)
    a, b = pair_inputs(n_in)
    w = np.zeros((v.shape[0], n_in + 1), dtype=np.int64)
    w[:, a], w[:, b] = v[:, :, 0], v[:, :, 1]
    return w[:, :n_in]


def pairs_refit(weights: NDArray[np.integer]) -> NDArray[np.int64]:
    """weights with the second weight of every pair (-128, -128) raised to -127,
    so that pairs_fit holds (test data).

    >>> pairs_refit(np.array([[-128, 0, -128, 0]])).tolist()
    [[-128, 0, -127, 0]]
    """
    w = np.pad(np.asarray(weights, dtype=np.int64), ((0, 0), (0, 1)))
    a, b = pair_inputs(w.shape[1] - 1)
    both = (w[:, a] == -128) & (w[:, b] == -128)
    w[:, b] = np.where(both, -127, w[:, b])
    return w[:, :-1]


def pairs4(weights: NDArray[np.integer]) -> NDArray[np.uint8]:
    """m0nn_fc_s8_b8p's layout: rows in groups of 4 (the last padded with zero
    rows), each group pair-major: for each pair (a, b) of pair_inputs the 4 rows'
    little-endian int32 words W = w[b] + 65536 * w[a] (w = 0 past the input).
    With the staged input X = x[a] + 65536 * x[b], X * W holds the two-input dot
    in its high half (modulo 2^32; the word is the int32 value, so [1, -2] is
    65534).

    >>> pairs4(np.array([[1, -2, 3]], dtype=np.int8)).reshape(-1, 4).tolist()[:2]
    [[254, 255, 0, 0], [0, 0, 0, 0]]
    >>> pairs4(np.array([[1, -2, 3]], dtype=np.int8)).reshape(-1, 4).tolist()[4]
    [0, 0, 3, 0]
    >>> pairs4(np.array([[1, 2, 3, 4]], dtype=np.int8)).reshape(-1, 4).tolist()[::4]
    [[3, 0, 1, 0], [4, 0, 2, 0]]
    """
    w = np.asarray(weights, dtype=np.int64)
    n_out, n_in = w.shape
    groups = -(-n_out // PAIRS_GROUP)
    a, b = pair_inputs(n_in)
    padded = np.zeros((groups * PAIRS_GROUP, n_in + 1), dtype=np.int64)
    padded[:n_out, :n_in] = w
    words = padded[:, b] + 65536 * padded[:, a]  # [row, pair]
    words = words.reshape(groups, PAIRS_GROUP, a.size).transpose(0, 2, 1)  # [group, pair, row]
    return words.astype("<i4").reshape(-1).view(np.uint8).copy()


def pairs_bias(
    bias: NDArray[np.integer] | None, weights: NDArray[np.integer], input_offset: int = 0
) -> NDArray[np.int64]:
    """The pairs kernel's bias: the input zero point folded in (it reads the
    centred x = u - 128 = q), bias + input_offset * sum_i w[o][i]. int64: the
    caller checks that it fits int32.

    >>> pairs_bias(np.array([10, 0]), np.array([[1, 2], [-3, 0]]), 5).tolist()
    [25, -15]
    """
    w = np.asarray(weights, dtype=np.int64)
    b = np.zeros(w.shape[0], np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    return b + input_offset * w.sum(axis=1)


def offset_binary(q: NDArray[np.integer]) -> NDArray[np.uint8]:
    """int8 values as the blocked kernels read them: q + 128 as uint8.

    >>> offset_binary(np.array([-128, -1, 0, 127])).tolist()
    [0, 127, 128, 255]
    """
    return (np.asarray(q, dtype=np.int64) + 128).astype(np.uint8)
