"""Arrays from numpy's files: test vectors from an .npz archive (numpy.savez), `x` and an
optional `y`; `m0nn check`'s data and labels from an .npz or single .npy arrays (numpy.save).

The files are untrusted input: an .npz is read only if it is a zip archive, an .npy only
if it starts with numpy's magic, and never with pickles (an object array is refused, not
loaded), so a bad file gets m0nn's own line rather than numpy's advice to pass
allow_pickle=True.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from m0nn.names import path_text

NOT_NPZ = "not an .npz archive (numpy.savez writes one: a zip of .npy arrays)"
NOT_NPY = "not an .npy file (numpy.save writes one)"
NPY_MAGIC = b"\x93NUMPY"
PICKLED = "an array holds Python objects (pickled data), which m0nn never loads"
NUMBERS = "biuf"  # the dtype kinds data and labels may have: bool, int, uint, float


@contextmanager
def _one_line() -> Iterator[None]:
    """Whatever numpy or zipfile raise for a bad file, as a ValueError of one line."""
    try:
        yield
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ValueError(PICKLED) from None
        raise ValueError(_first_line(exc)) from None
    except OSError as exc:  # an unreadable file: the caller names it, the line says why
        raise ValueError(exc.strerror or _first_line(exc)) from None
    except (KeyError, EOFError, zipfile.BadZipFile) as exc:  # a damaged archive
        raise ValueError(_first_line(exc)) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def read_xy(path: Path | str) -> tuple[NDArray[Any], NDArray[Any] | None]:
    """(x, y or None) as stored. Raises ValueError, one line saying what is wrong
    (the caller names the file)."""
    with _one_line():
        if not zipfile.is_zipfile(path):
            raise ValueError(NOT_NPZ)
        with np.load(path, allow_pickle=False) as z:  # an NpzFile holds the file open until closed
            if "x" not in z.files:
                raise ValueError(f"it has no array `x` (arrays: {', '.join(z.files) or 'none'})")
            x = np.asarray(z["x"])
            y = np.asarray(z["y"]) if "y" in z.files else None
    return x, y


def read_array(path: Path | str) -> NDArray[Any]:
    """The one array of an .npy file, as stored. Raises ValueError, one line saying what
    is wrong (the caller names the file)."""
    with _one_line(), open(path, "rb") as f:
        if f.read(len(NPY_MAGIC)) != NPY_MAGIC:  # np.load would also take an .npz or a pickle
            raise ValueError(NOT_NPY)
        f.seek(0)
        return np.asarray(np.load(f, allow_pickle=False))


def read_data(data: Path, labels: Path | None) -> tuple[NDArray[np.float64], NDArray[Any] | None]:
    """`m0nn check`'s samples x (float64, [N, ...], N >= 1, finite) and labels y (N numbers,
    or None): x and y of an .npz, or x alone of an .npy; labels, when given, from an .npy
    (they replace the archive's y). Raises ValueError `<file>: <problem>`."""
    where = path_text(data)
    try:
        stored, y = read_xy(data) if data.suffix == ".npz" else (read_array(data), None)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if stored.dtype.kind not in NUMBERS:
        raise ValueError(f"{where}: the samples have type {stored.dtype}, not numbers")
    x = np.asarray(stored, dtype=np.float64)
    if x.ndim < 2 or len(x) < 1:
        raise ValueError(f"{where}: the samples must be [N, features] with N >= 1, got shape {list(x.shape)}")
    if not np.all(np.isfinite(x)):
        row = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(f"{where}: the samples hold NaN or infinite values (first at row {row})")
    if labels is not None:
        where = path_text(labels)
        try:
            y = read_array(labels)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if y is not None:
        if y.dtype.kind not in NUMBERS:
            raise ValueError(f"{where}: the labels have type {y.dtype}, not numbers")
        if y.ndim == 0:
            raise ValueError(f"{where}: one value, not a label per sample ({len(x)})")
        if len(y) != len(x):
            raise ValueError(f"{where}: {len(y)} labels for {len(x)} samples")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError(f"{where}: the labels hold NaN or infinite values")
    return x, y
