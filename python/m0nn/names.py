"""C names of models (standard library only: the pre-build no-change path uses it)."""

from __future__ import annotations

import re

C_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "_Bool",
        "_Complex",
        "_Imaginary",
    ]
)


def c_identifier(stem: str) -> str:
    """A model file's stem as a C identifier (lower case), never a keyword or m0nn_*.

    >>> c_identifier("digits")
    'digits'
    >>> c_identifier("9-axis imu.v2")
    'm_9_axis_imu_v2'
    >>> c_identifier("int")
    'int_model'
    """
    ident = re.sub(r"[^0-9a-zA-Z_]", "_", stem).lower()
    ident = re.sub(r"_+", "_", ident).strip("_") or "model"
    if ident[0].isdigit():
        ident = "m_" + ident
    if ident in C_KEYWORDS or ident.startswith("m0nn_"):
        ident += "_model"
    return ident
