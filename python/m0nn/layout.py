"""Weight layouts of the C kernels (the Python side is their one definition)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

BLOCK = 8


def block8(weights: NDArray[np.integer]) -> NDArray[np.uint8]:
    """m0nn_fc_s8_b8's layout: rows in blocks of 8 (the last padded with zero
    weights), each block input-major, each weight stored as w + 128 (uint8).

    >>> block8(np.array([[1, 2], [-3, -128]], dtype=np.int8)).reshape(2, 8).tolist()
    [[129, 125, 128, 128, 128, 128, 128, 128], [130, 0, 128, 128, 128, 128, 128, 128]]
    """
    w = np.asarray(weights, dtype=np.int64)
    out, n_in = w.shape
    padded = np.zeros((-(-out // BLOCK) * BLOCK, n_in), dtype=np.int64)
    padded[:out] = w
    blocks = padded.reshape(-1, BLOCK, n_in).transpose(0, 2, 1)  # [block, input, row]
    return (blocks.reshape(-1) + 128).astype(np.uint8)
