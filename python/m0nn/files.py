"""Writing generated files (standard library only: the pre-build step uses it too)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

TMP_PREFIX = ".m0nn-"
TMP_SUFFIX = ".tmp"


def _remove_orphans(folder: Path) -> None:
    """Temporary files of writers that died (SIGKILL) before renaming them:
    named .m0nn-<pid>-<random>.tmp, removed once that process is gone."""
    for tmp in folder.glob(f"{TMP_PREFIX}*{TMP_SUFFIX}"):
        pid = tmp.name[len(TMP_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except OSError:  # alive, another user's
            continue


def write_files(texts: Mapping[Path, str], remove: Iterable[Path] = ()) -> None:
    """Write every file or none: each text goes to a short temporary name in its
    folder (a long file name cannot make it fail), and only when all are written
    are they renamed into place (then `remove` is deleted). Readers see each file
    old or new, never partial; on any error the temporary files are removed and
    the folder is as it was."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            _remove_orphans(path.parent)
            tmp = path.parent / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TMP_SUFFIX}"
            temps.append((tmp, path))
            with open(tmp, "x", encoding="utf-8", newline="\n") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
        for path in remove:
            path.unlink(missing_ok=True)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """One file, written as write_files does."""
    write_files({path: text})
