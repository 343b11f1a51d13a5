"""Model file -> C headers: the one entry point of `m0nn gen` and the pre-build step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from m0nn.codegen import render_model_header, render_testdata_header, write_atomic
from m0nn.errors import ModelError
from m0nn.model import QModel, file_sha256
from m0nn.names import c_identifier
from m0nn.onnx_import import import_model
from m0nn.plan import configure
from m0nn.reference import quantize_input, run_int
from m0nn.settings import Settings


def test_data_path(model_path: Path) -> Path:
    """Held-out vectors beside the model: models/<stem>.test.npz with `x` and optional `y`."""
    return model_path.with_name(model_path.stem + ".test.npz")


def header_paths(model_path: Path, out_dir: Path) -> tuple[Path, Path]:
    name = c_identifier(model_path.stem)
    return out_dir / f"{name}.h", out_dir / f"{name}_test.h"


def load_test_data(path: Path, model: QModel) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        data = np.load(path)
        x = np.asarray(data["x"], dtype=np.float64)
        y = np.asarray(data["y"]) if "y" in data.files else None
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{path}: cannot read test data (an .npz with `x` and optional `y`): {exc}") from exc
    if x.ndim != 2 or x.shape[1] != model.input_size:
        raise ModelError(f"{path}: x has shape {list(x.shape)}, the model takes [N, {model.input_size}]")
    return x, y


def generate(model_path: Path, out_dir: Path, settings: Settings | None = None) -> list[Path]:
    """Write <name>.h (and <name>_test.h when test data exists); return the paths.
    Everything is computed before the first file is written, so a bad model
    leaves the folder as it was."""
    settings = settings or Settings()
    model = configure(import_model(model_path), settings)
    header, test_header = header_paths(model_path, out_dir)
    texts = {header: render_model_header(model, settings.line())}
    data_path = test_data_path(model_path)
    if data_path.is_file():
        x, y = load_test_data(data_path, model)
        x_q = quantize_input(model, x)
        outputs = run_int(model, x_q)
        labels = y if y is not None and y.ndim == 1 and np.issubdtype(y.dtype, np.integer) else None
        text = render_testdata_header(model, x_q, labels, outputs, settings.line())
        texts[test_header] = text.replace(
            f" * sha256: {model.sha256}\n",
            f" * sha256: {model.sha256}\n * test data: {data_path.name} sha256 {file_sha256(data_path)}\n",
            1,
        )
    for path, text in texts.items():
        write_atomic(path, text)
    return list(texts)
