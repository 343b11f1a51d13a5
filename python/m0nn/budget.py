"""The RAM and flash a model must fit, and what a generated header says its model needs.

Standard library only: the pre-build step's no-change path checks the headers already
generated against the current environment's budget without the generator (PlatformIO's
Python may lack numpy and onnx). The budget is not part of a header's provenance, so the
same model gives the same header in every environment; it is checked on every build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from m0nn.errors import ModelError
from m0nn.graph.code_size import code_bytes, data_bytes, fc_code_bytes
from m0nn.graph.kinds import HANDLER

DEFAULT_FROM = "m0nn's default, the micro:bit's; set {option} for another target"


@dataclass(frozen=True)
class Budget:
    """RAM and flash of the target, in bytes (default: the emulated micro:bit, m0_qemu), and
    where each number comes from, as the error line names it (the option, the board, or m0nn's default)."""

    ram: int = 16 * 1024
    flash: int = 256 * 1024
    ram_from: str = DEFAULT_FROM.format(option="custom_m0nn_ram")
    flash_from: str = DEFAULT_FROM.format(option="custom_m0nn_flash")


def check_budget(name: str, ram: dict[str, int], flash_data: int, flash_code: int, budget: Budget) -> None:
    """RAM (arena, input, output and the stack <name>_run uses, m0nn.graph.stack_size) and
    flash (the header's constant data plus the lib/m0nn code its operator kinds link,
    m0nn.graph.code_size) against the target's; ModelError with the numbers."""
    flash_needed = flash_data + flash_code
    ram_needed = sum(ram.values())
    if ram_needed > budget.ram:
        parts = " + ".join(f"{k} {v}" for k, v in ram.items())
        raise ModelError(
            f"{name}: needs {ram_needed} bytes of RAM ({parts}), the target has {budget.ram} ({budget.ram_from})"
        )
    if flash_needed > budget.flash:
        raise ModelError(
            f"{name}: needs about {flash_needed} bytes of flash (model data {flash_data} + lib/m0nn code "
            f"{flash_code}), the target has {budget.flash} ({budget.flash_from})"
        )


@dataclass(frozen=True)
class Needs:
    """What a model needs, as check_budget takes it."""

    ram: dict[str, int]  # arena, input, output, stack
    flash_data: int
    flash_code: int


# m0nn.graph.emit: the kinds table's entries (positional; headers of earlier builds designated them)
_GRAPH_ENTRY = re.compile(r"^    (?:\[M0NN_OP_\w+\] = )?(m0nn_op_\w+),(?: /\* M0NN_OP_\w+ \*/)?$", re.M)
_FC_KERNEL = re.compile(r"^    \{(m0nn_fc_s8\w*), [01],$", re.M)  # m0nn.codegen: a layer's entry
_FC_RUNNER = re.compile(r"^    return (m0nn_model_run\w*)\(&\w+_model, ", re.M)


def header_needs(text: str) -> Needs | None:
    """The needs a generated <name>.h states (its ARENA/INPUT/OUTPUT/STACK_SIZE, its data, the
    runner and kernels or operator kinds it links), counted as the generator counts them; None
    when the header does not say them all (then it is regenerated).

    >>> h = ("#define X_INPUT_SIZE 4\\n#define X_OUTPUT_SIZE 2\\n#define X_ARENA_SIZE 8\\n#define X_STACK_SIZE 40\\n"
    ...      "    {m0nn_fc_s8_small, 0,\\n    return m0nn_model_run_small(&x_model, input, output, arena);\\n")
    >>> n = header_needs(h)
    >>> n.ram, n.flash_data, n.flash_code > 0
    ({'arena': 8, 'input': 4, 'output': 2, 'stack': 40}, 0, True)
    >>> header_needs("#define X_INPUT_SIZE 4\\n") is None
    True
    """
    m = re.search(r"^#define (\w+)_ARENA_SIZE (\d+)$", text, re.M)
    if not m:
        return None
    up = m.group(1)
    ram = {}
    for part in ("arena", "input", "output", "stack"):
        d = re.search(rf"^#define {up}_{part.upper()}_SIZE (\d+)$", text, re.M)
        if not d:
            return None
        ram[part] = int(d.group(1))
    kind_of = {handler: kind for kind, handler in HANDLER.items()}
    try:
        if "m0nn_graph_run(&" in text:
            code = code_bytes(kind_of[h] for h in _GRAPH_ENTRY.findall(text))
        else:
            runner = _FC_RUNNER.search(text)
            if not runner:
                return None
            code = fc_code_bytes(runner.group(1), _FC_KERNEL.findall(text))
        return Needs(ram, data_bytes(text), code)
    except KeyError:  # a kernel, kind or type the tables do not know: not this version's header
        return None
