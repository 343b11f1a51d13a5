"""The exceptions m0nn raises for bad input: each message is one line a user can act on."""


class M0nnError(Exception):
    """Base class: bad input or a failed step, explained in the message."""


class ModelError(M0nnError):
    """The model cannot be imported, quantized or generated (names the node or layer)."""


class SetupError(M0nnError):
    """A setup step failed."""
