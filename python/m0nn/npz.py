"""Arrays from numpy's files: test vectors from an .npz archive (numpy.savez), `x` and an
optional `y`; `m0nn check`'s data and labels from an .npz or single .npy arrays (numpy.save).

The files are untrusted input: an .npz is read only if it is a zip archive, an .npy only
if it starts with numpy's magic, and never with pickles (an object array is refused, not
loaded), so a bad file gets m0nn's own line rather than numpy's advice to pass
allow_pickle=True.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
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
NUMBERS = "biuf"  # dtype kinds of numbers: bool, int, uint, float (y may be any; x must be float)
MAX_TESTS = 100_000  # test vectors in a header


@contextmanager
def _one_line() -> Iterator[None]:
    """Whatever numpy or zipfile raise for a bad file, as a ValueError of one line."""
    try:
        yield
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ValueError(PICKLED) from None
        raise ValueError(first_line(exc)) from None
    except OSError as exc:  # an unreadable file: the caller names it, the line says why
        raise ValueError(exc.strerror or first_line(exc)) from None
    except (KeyError, EOFError, zipfile.BadZipFile) as exc:  # a damaged archive
        raise ValueError(first_line(exc)) from None


def first_line(exc: BaseException) -> str:
    """An exception's message as one line of at most 200 characters (its type's name when empty)."""
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


def shape_text(shape: Sequence[int]) -> str:
    """What a model takes, as a test-vector shape.

    >>> shape_text((6,))
    '[N, 6]'
    >>> shape_text((3, 32))
    '[N, 3, 32] (or flattened [N, 96])'
    """
    dims = ", ".join(str(d) for d in shape)
    flat = f" (or flattened [N, {int(np.prod(shape))}])" if len(shape) > 1 else ""
    return f"[N, {dims}]{flat}"


def check_vectors(
    x: NDArray[Any],
    y: NDArray[Any] | None,
    shape: Sequence[int],
    outputs: int,
    where: str,
    where_y: str | None = None,
    max_rows: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[Any] | None]:
    """The one check of test vectors for a model taking [N, *shape] and giving `outputs`
    values, shared by the pre-build, `m0nn gen` and `m0nn check`: x float inputs of shape
    [N, *shape] or flattened [N, prod(shape)], 1 <= N (<= max_rows), finite; y (optional)
    N integer class indices in [0, outputs) within int16, or regression targets [N, outputs].
    Returns x as float64 [N, prod(shape)] and y as stored (bool labels as int64).
    Raises ValueError `<file>: <problem>` (`where` names x's file, `where_y` y's)."""
    where_y = where_y or where
    if x.dtype.kind not in NUMBERS:
        raise ValueError(f"{where}: x has type {x.dtype}, not numbers (x: float inputs)")
    if x.dtype.kind != "f":  # m0nn quantizes x itself: integers already quantized would be quantized twice
        raise ValueError(
            f"{where}: x has type {x.dtype}, not float inputs (already quantized? m0nn quantizes x with the "
            "model's input scale); if these integers are the real inputs, save x.astype(np.float32)"
        )
    flat = int(np.prod(shape))
    if x.ndim < 2 or x.shape[1:] not in (tuple(shape), (flat,)):
        raise ValueError(f"{where}: x has shape {list(x.shape)}, the model takes {shape_text(shape)}")
    n = len(x)
    if n < 1 or (max_rows is not None and n > max_rows):
        limit = f"; a test header takes 1 to {max_rows}" if max_rows is not None else ""
        raise ValueError(f"{where}: x has {n} rows{limit}")
    x = np.asarray(x, dtype=np.float64).reshape(n, flat)
    if not np.all(np.isfinite(x)):
        row = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(f"{where}: x has NaN or infinite values (first at row {row})")
    if y is None:
        return x, None
    if y.dtype.kind not in NUMBERS:
        raise ValueError(f"{where_y}: y has type {y.dtype}, not numbers")
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"{where_y}: y has {y.size if y.ndim == 0 else len(y)} labels for {n} rows of x")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{where_y}: y has NaN or infinite values")
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind in "iu" and y.ndim == 1:  # class indices: the test header's int16 labels, argmax's range
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= outputs:
            raise ValueError(
                f"{where_y}: y has labels {lo}..{hi}, the model has {outputs} outputs: class indices must be "
                f"in [0, {outputs}) (regression targets: save y as floats, [N, {outputs}])"
            )
        if hi > 2**15 - 1:
            raise ValueError(f"{where_y}: labels {lo}..{hi} do not fit int16")
    elif y.size != n * outputs:
        raise ValueError(
            f"{where_y}: y has shape {list(y.shape)} ({y.dtype}), the model has {outputs} outputs: y must be "
            f"integer labels in [0, {outputs}) of shape [N], or regression targets [N, {outputs}]"
        )
    return x, y


def read_data(
    data: Path, labels: Path | None, shape: Sequence[int], outputs: int
) -> tuple[NDArray[np.float64], NDArray[Any] | None]:
    """`m0nn check`'s samples x and labels y for a model taking [N, *shape] and giving
    `outputs` values (check_vectors): x and y of an .npz, or x alone of an .npy; labels,
    when given, from an .npy (they replace the archive's y). Raises ValueError
    `<file>: <problem>`."""
    where = path_text(data)
    try:
        x, y = read_xy(data) if data.suffix == ".npz" else (read_array(data), None)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    where_y = where
    if labels is not None:
        where_y = path_text(labels)
        try:
            y = read_array(labels)
        except ValueError as exc:
            raise ValueError(f"{where_y}: {exc}") from None
    return check_vectors(x, y, shape, outputs, where, where_y)


def read_test_vectors(
    path: Path, shape: Sequence[int], outputs: int
) -> tuple[NDArray[np.float64], NDArray[Any] | None]:
    """A model's test vectors (models/<name>.test.npz) for its test header, checked as
    check_vectors does, at most MAX_TESTS. Raises ValueError `<file>: <problem>`."""
    where = path_text(path)
    try:
        x, y = read_xy(path)
    except ValueError as exc:
        raise ValueError(f"{where}: cannot read test data (an .npz with `x` and optional `y`): {exc}") from None
    return check_vectors(x, y, shape, outputs, where, max_rows=MAX_TESTS)
