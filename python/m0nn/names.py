"""C names of models, and text from a model made safe for C comments and for
one-line messages (standard library only: the pre-build no-change path uses it).

A model file is untrusted: its name becomes C identifiers and file names, its
node names and producer string land in header comments and error messages.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from m0nn.errors import ModelError

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

# Headers a generated <name>.h would shadow: lib/m0nn/generated is on the include
# path of every file of the build, before the toolchain's own folders.
RESERVED_HEADERS = frozenset(
    [
        "assert",
        "complex",
        "ctype",
        "errno",
        "fenv",
        "float",
        "inttypes",
        "iso646",
        "limits",
        "locale",
        "math",
        "setjmp",
        "signal",
        "stdalign",
        "stdarg",
        "stdatomic",
        "stdbool",
        "stddef",
        "stdint",
        "stdio",
        "stdlib",
        "stdnoreturn",
        "string",
        "tgmath",
        "threads",
        "time",
        "uchar",
        "wchar",
        "wctype",
        "arduino",
        "app",
        "unity",
        "model_test_body",
        "graph_model_test_body",
    ]
)

# Headers of m0nn's board support (the m0qemu platform's bsp/, on the include path of
# its builds): a model named like one would replace it for the user's firmware.
BSP_HEADERS = frozenset(["m0qemu", "m0qemu_io_semihosting", "m0qemu_io_nrf51_uart"])

# The longest identifier whose file names (<name>_test.h, and the model file
# itself) stay within the 255 bytes of a file name on every common file system.
MAX_NAME = 240


def display(text: str, limit: int = 120) -> str:
    """Text from a model file as it may appear in a C comment or a one-line
    message: printable ASCII kept, everything else (newlines, control and
    non-ASCII characters, backslashes) as \\xNN escapes of its UTF-8 bytes; the
    second character of "*/", "/*" and "??" escaped too, so a comment can
    neither end, nest nor meet a trigraph. Longer than `limit`: cut, with "...".

    >>> display("/body/body.0/Gemm")
    '/body/body.0/Gemm'
    >>> print(display("a */ #error /* ??/ 模"))
    a *\\x2f #error /\\x2a ?\\x3f/ \\xe6\\xa8\\xa1
    """
    out: list[str] = []
    prev = ""
    for ch in text[: limit + 1] if len(text) > limit else text:
        if ch == "\\" or not " " <= ch <= "~" or (prev, ch) in (("*", "/"), ("/", "*"), ("?", "?")):
            piece = "".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape"))
            prev = ""
        else:
            piece, prev = ch, ch
        out.append(piece)
    if len(text) > limit:
        return "".join(out[:limit]) + "..."
    return "".join(out)


def comment_text(text: str) -> str:
    """`text` if it is already safe inside a C block comment (printable ASCII, no
    "*/", "/*" or "??", not ending in a backslash), else display(text). Safe text
    (including display's own output) passes unchanged.

    >>> print(comment_text("/body/Gemm"), comment_text("a*/b"))
    /body/Gemm a*\\x2fb
    """
    safe = all(" " <= ch <= "~" for ch in text) and not any(p in text for p in ("*/", "/*", "??"))
    return text if safe and not text.endswith("\\") else display(text)


def path_text(path: Path | str) -> str:
    """A file path for a message: its bytes as UTF-8, undecodable bytes escaped (a file
    name need not be UTF-8 on Linux; printing it must never fail), and so is a non-ASCII
    character that is not printable or that this Python's stdout cannot encode; `modèle`
    stays `modèle` on a UTF-8 terminal."""
    raw = os.fsencode(path)
    text = raw.decode("utf-8", "backslashreplace")
    if text.isascii():
        return text
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    return "".join(ch if ch.isascii() or _printable(ch, encoding) else ascii(ch)[1:-1] for ch in text)


def _printable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return ch.isprintable()


def one_line(message: str) -> str:
    """A message as one printable line (newlines and undecodable bytes escaped)."""
    return path_text(message).replace("\r", "\\r").replace("\n", "\\n")


def file_message(message: str, where: str, base: str = "") -> str:
    """A model's error as every m0nn command prints it: one line that starts with the
    model file as `where` names it, then the node and the problem. Paths under `base`
    (a folder, as path_text gives it) are shortened to the part below it; a message that
    named the file by its bare name, or not at all, gets `where` in front.

    >>> file_message("/p/models/a.onnx: node 'x' (Conv): auto_pad", "models/a.onnx", "/p")
    "models/a.onnx: node 'x' (Conv): auto_pad"
    >>> file_message("a.onnx: needs 9 bytes of RAM", "models/a.onnx")
    'models/a.onnx: needs 9 bytes of RAM'
    >>> file_message("/p/models/a.test.npz: x has shape [2]", "models/a.onnx", "/p")
    'models/a.onnx: models/a.test.npz: x has shape [2]'
    """
    text = one_line(message)
    if base:
        text = text.replace(base.rstrip("/") + "/", "")
    bare = path_text(Path(where).name)
    if text.startswith(f"{where}: "):
        return text
    if text.startswith(f"{bare}: "):
        return where + text[len(bare) :]
    return f"{where}: {text}"


def c_identifier(stem: str, where: str | None = None) -> str:
    """A model file's stem as a C identifier (lower case): other ASCII characters
    become "_", non-ASCII ones their code point ("u6a21"). Raises ModelError for a
    name that cannot be one: not UTF-8, a C keyword, m0nn's own prefix, the name
    of a header the build includes, a test-data header's name, or too long.

    >>> c_identifier("digits")
    'digits'
    >>> c_identifier("9-axis imu.v2")
    'm_9_axis_imu_v2'
    >>> c_identifier("模型")
    'u6a21_u578b'
    """
    what = where or f"model name {path_text(stem)!r}"
    try:
        stem.encode("utf-8")
    except UnicodeEncodeError:
        raise ModelError(f"{what}: the file name is not valid UTF-8; rename the model") from None
    ident = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch == "_") else ("_" if ch.isascii() else f"_u{ord(ch):04x}_")
        for ch in stem
    ).lower()
    ident = re.sub(r"_+", "_", ident).strip("_")
    if not ident:
        raise ModelError(f"{what}: the name has no letter or digit to make a C name of; rename the model")
    if ident[0].isdigit():
        ident = "m_" + ident
    if ident in C_KEYWORDS:
        raise ModelError(f"{what}: '{ident}' is a C keyword; rename the model")
    if ident.startswith("m0nn"):
        raise ModelError(f"{what}: names starting with 'm0nn' belong to the library (m0nn.h); rename the model")
    if ident in RESERVED_HEADERS:
        raise ModelError(f"{what}: '{ident}.h' would shadow a header of the build (<{ident}.h>); rename the model")
    if ident in BSP_HEADERS:
        raise ModelError(f"{what}: '{ident}.h' would shadow m0nn's board-support header {ident}.h; rename the model")
    if ident.endswith("_test"):
        raise ModelError(
            f"{what}: '{ident}.h' is the name of a test-data header (<model>_test.h); "
            "rename the model so it does not end in '_test'"
        )
    if len(ident) > MAX_NAME:
        raise ModelError(f"{what}: the C name has {len(ident)} characters, at most {MAX_NAME}; rename the model")
    return ident


def check_unique(stems: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map each (label, stem) to its C name; raise ModelError when two models
    share one (their headers would overwrite each other).

    >>> check_unique([("a.onnx", "a"), ("b.onnx", "b")])
    {'a.onnx': 'a', 'b.onnx': 'b'}
    """
    seen: dict[str, str] = {}
    names: dict[str, str] = {}
    for label, stem in stems:
        ident = c_identifier(stem, label)
        if ident in seen:
            raise ModelError(
                f"{label}: its C name '{ident}' is also the name of {seen[ident]}: "
                f"both would write {ident}.h; rename one of them"
            )
        seen[ident] = label
        names[label] = ident
    return names
