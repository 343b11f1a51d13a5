"""Test vectors from an .npz archive (numpy.savez): `x` and an optional `y`.

The file is untrusted input: it is read only if it is a zip archive, and never with
pickles (an object array is refused, not loaded), so a bad file gets m0nn's own line
rather than numpy's advice to pass allow_pickle=True.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

NOT_NPZ = "not an .npz archive (numpy.savez writes one: a zip of .npy arrays)"
PICKLED = "an array holds Python objects (pickled data), which m0nn never loads"


def read_xy(path: Path | str) -> tuple[NDArray[Any], NDArray[Any] | None]:
    """(x, y or None) as stored. Raises ValueError, one line saying what is wrong
    (the caller names the file)."""
    try:
        if not zipfile.is_zipfile(path):
            raise ValueError(NOT_NPZ)
        with np.load(path, allow_pickle=False) as z:  # an NpzFile holds the file open until closed
            if "x" not in z.files:
                raise ValueError(f"it has no array `x` (arrays: {', '.join(z.files) or 'none'})")
            x = np.asarray(z["x"])
            y = np.asarray(z["y"]) if "y" in z.files else None
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ValueError(PICKLED) from None
        raise ValueError((str(exc).splitlines() or [type(exc).__name__])[0][:200]) from None
    except (OSError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # a damaged archive or an unreadable file
        raise ValueError((str(exc).splitlines() or [type(exc).__name__])[0][:200]) from None
    return x, y
