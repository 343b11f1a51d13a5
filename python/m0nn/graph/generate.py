"""Graph model file -> C headers (the graph half of `m0nn gen` and the pre-build
step), with the target's memory budget checked before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from m0nn.budget import Budget, check_budget
from m0nn.errors import ModelError
from m0nn.files import write_files
from m0nn.graph.code_size import code_bytes, data_bytes, model_kinds
from m0nn.graph.configure import configure_graph
from m0nn.graph.emit import graph_banner, render_graph_header, render_graph_testdata
from m0nn.graph.importer import import_graph
from m0nn.graph.plan import plan_arena
from m0nn.graph.reference import quantize_input, run_all
from m0nn.graph.stack_size import stack_bytes
from m0nn.model import file_sha256
from m0nn.names import c_identifier, comment_text, path_text
from m0nn.npz import read_test_vectors
from m0nn.settings import Settings


def generate_graph(
    model_path: Path, header: Path, test_header: Path, settings: Settings, budget: Budget | None = None
) -> list[Path]:
    """Write the headers of one graph model (all or nothing)."""
    texts = render_graph(model_path, header, test_header, settings, budget)
    write_files(texts)
    return list(texts)


def render_graph(
    model_path: Path, header: Path, test_header: Path, settings: Settings, budget: Budget | None = None
) -> dict[Path, str]:
    """The headers of one graph model as text; nothing is written."""
    budget = budget or Budget()
    model = configure_graph(
        import_graph(model_path, c_identifier(model_path.stem, path_text(model_path.name))), settings
    )
    plan = plan_arena(model)
    banner = graph_banner(model, f"{model.name}: int8 graph model for lib/m0nn.", settings.line())
    texts = {header: render_graph_header(model, settings.line(), banner)}
    check_budget(
        path_text(model_path),
        {"arena": plan.size, "input": model.input_size, "output": model.output_size, "stack": stack_bytes(model)},
        data_bytes(texts[header]),
        code_bytes(model_kinds(model)),
        budget,
    )
    data_path = model_path.with_name(model_path.stem + ".test.npz")
    if data_path.is_file():
        try:
            x, y = read_test_vectors(data_path, model.input_shape, model.output_size)
        except ValueError as exc:
            raise ModelError(str(exc)) from None
        x_q = quantize_input(model, x)
        outs, out = run_all(model, x_q)
        labels = y if y is not None and y.ndim == 1 and np.issubdtype(y.dtype, np.integer) else None
        tbanner = graph_banner(model, f"{model.name}: test vectors and integer-reference outputs.", settings.line())
        tbanner = tbanner.replace(
            f" * sha256: {model.sha256}\n",
            f" * sha256: {model.sha256}\n"
            f" * test data: {comment_text(data_path.name)} sha256 {file_sha256(data_path)}\n",
            1,
        )
        texts[test_header] = render_graph_testdata(model, x_q, labels, outs, out, tbanner)
    return texts
