"""m0nn: PyTorch models to integer-only int8 C for ARM Cortex-M0/M0+."""

import re

__version__ = "0.2.5"


def c_version(version: str = __version__) -> int:
    """M0NN_VERSION of lib/m0nn/include/m0nn.h for a package version.

    >>> c_version("0.1.0")
    100
    """
    major, minor, patch = (int(re.sub(r"\D.*$", "", part) or 0) for part in (version.split(".") + ["0", "0"])[:3])
    return major * 10000 + minor * 100 + patch
