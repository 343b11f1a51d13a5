"""Graph model file -> C headers (the graph half of `m0nn gen` and the pre-build
step), with the target's memory budget checked before anything is written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
from m0nn.settings import Settings


@dataclass(frozen=True)
class Budget:
    """RAM and flash of the target, in bytes (default: the emulated micro:bit, m0_qemu)."""

    ram: int = 16 * 1024
    flash: int = 256 * 1024

    @staticmethod
    def from_environment() -> Budget:
        """M0NN_RAM / M0NN_FLASH, set by the pre-build step from `custom_m0nn_ram` /
        `custom_m0nn_flash` or the board's manifest."""
        d = Budget()
        try:
            return Budget(int(os.environ.get("M0NN_RAM", d.ram)), int(os.environ.get("M0NN_FLASH", d.flash)))
        except ValueError as exc:
            raise ModelError(f"M0NN_RAM / M0NN_FLASH must be byte counts: {exc}") from None


def check_budget(name: str, ram: dict[str, int], flash_data: int, flash_code: int, budget: Budget) -> None:
    """RAM (arena, input, output and the stack <name>_run uses, m0nn.graph.stack_size) and
    flash (the header's constant data plus the lib/m0nn code its operator kinds link,
    m0nn.graph.code_size) against the target's; ModelError with the numbers."""
    flash_needed = flash_data + flash_code
    ram_needed = sum(ram.values())
    if ram_needed > budget.ram:
        parts = " + ".join(f"{k} {v}" for k, v in ram.items())
        raise ModelError(
            f"{name}: needs {ram_needed} bytes of RAM ({parts}), the target has {budget.ram} (custom_m0nn_ram)"
        )
    if flash_needed > budget.flash:
        raise ModelError(
            f"{name}: needs about {flash_needed} bytes of flash (model data {flash_data} + lib/m0nn code "
            f"{flash_code}), the target has {budget.flash} (custom_m0nn_flash)"
        )


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
    budget = budget or Budget.from_environment()
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
            with np.load(data_path) as data:  # an NpzFile holds the file open until closed
                x = np.asarray(data["x"], dtype=np.float64)
                y = np.asarray(data["y"]) if "y" in data.files else None
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{data_path}: cannot read test data (an .npz with `x` and optional `y`): {exc}") from exc
        if x.shape[0] < 1 or int(np.prod(x.shape[1:])) != model.input_size:
            raise ModelError(f"{data_path}: x has shape {list(x.shape)}, the model takes {model.input_size} values")
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
