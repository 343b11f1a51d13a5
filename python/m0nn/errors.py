"""The exceptions m0nn raises for bad input: each message is one line a user can act on."""


class M0nnError(Exception):
    """Base class: bad input or a failed step, explained in the message."""


class ModelError(M0nnError):
    """The model cannot be imported, quantized or generated (names the node or layer)."""


class SetupError(M0nnError):
    """A setup step failed."""


# The optional dependencies by import name, and the extra of pyproject.toml that installs each
# (tests/test_cli.py checks this against pyproject.toml).
EXTRAS = {
    "torch": "train",
    "sklearn": "train",
    "onnxscript": "train",
    "onnxruntime": "check",
    "matplotlib": "report",
    "unicorn": "bench",
    "platformio": "pio",
    "SCons": "pio",
}


def install_line(module: str | None) -> str | None:
    """What to run when the optional dependency `module` is missing (None: not one of m0nn's extras).

    >>> install_line("onnxruntime")
    "onnxruntime is not installed: pip install 'm0nn[check]'"
    """
    extra = EXTRAS.get(module or "")
    if extra is None:
        return None
    return f"{module} is not installed: pip install 'm0nn[{extra}]'"
