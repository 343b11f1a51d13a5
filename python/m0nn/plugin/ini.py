"""platformio.ini edited as text: every line the user wrote stays as it was.

configparser only checks the syntax (as PlatformIO reads it); changes are made on
the lines: a value appended as a continuation line, an option added at the end of
its section, a section added at the end of the file.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field

SECTION = re.compile(r"^\[([^\]]+)\]")
OPTION = re.compile(r"^([^\s=:;#][^=:]*?)\s*[=:]")


def syntax_error(text: str) -> str | None:
    """The first syntax error PlatformIO would report, as one line, or None."""
    parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return " ".join(str(exc).split())
    return None


def _values(raw: str) -> list[str]:
    """An option's values as PlatformIO splits them (lines, then commas), comments dropped."""
    out = []
    for line in raw.splitlines():
        line = re.split(r"\s[;#]", " " + line, maxsplit=1)[0].strip()
        out += [v.strip() for v in line.split(",") if v.strip()] if "," in line else ([line] if line else [])
    return out


@dataclass
class Ini:
    lines: list[str]
    changes: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Ini:
        return cls(text.splitlines())

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def sections(self) -> list[str]:
        return [m.group(1).strip() for line in self.lines if (m := SECTION.match(line))]

    def _span(self, section: str) -> tuple[int, int] | None:
        """Line indexes [start, end) of a section's body (after its header)."""
        start = None
        for i, line in enumerate(self.lines):
            m = SECTION.match(line)
            if m and start is not None:
                return start, i
            if m and m.group(1).strip() == section:
                start = i + 1
        return (start, len(self.lines)) if start is not None else None

    def _option(self, section: str, name: str) -> tuple[int, int] | None:
        """Line indexes [first, last] of an option (with its continuation lines)."""
        span = self._span(section)
        if span is None:
            return None
        i = span[0]
        while i < span[1]:
            m = OPTION.match(self.lines[i])
            if m and m.group(1).strip() == name:
                last = i
                j = i + 1
                while j < span[1] and self.lines[j][:1] in (" ", "\t") and self.lines[j].strip():
                    if not self.lines[j].lstrip().startswith((";", "#")):
                        last = j
                    j += 1
                return i, last
            i += 1
        return None

    def get(self, section: str, name: str) -> list[str] | None:
        where = self._option(section, name)
        if where is None:
            return None
        first, last = where
        raw = self.lines[first].split("=", 1)[1] if "=" in self.lines[first] else self.lines[first].split(":", 1)[1]
        return _values("\n".join([raw, *self.lines[first + 1 : last + 1]]))

    def add_section(self, section: str, body: list[str], why: str) -> None:
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.lines += ["", f"[{section}]", *body]
        self.changes.append(f"[{section}]: added ({why})")

    def insert_section_before_envs(self, section: str, body: list[str], why: str) -> None:
        first_env = next((i for i, line in enumerate(self.lines) if SECTION.match(line) and
                          SECTION.match(line).group(1).strip().startswith("env:")), None)  # type: ignore[union-attr]  # fmt: skip
        if first_env is None:
            self.add_section(section, body, why)
            return
        self.lines[first_env:first_env] = [f"[{section}]", *body, ""]
        self.changes.append(f"[{section}]: added ({why})")

    def ensure_value(self, section: str, name: str, value: str, why: str) -> None:
        """`value` among the option's values: appended as a continuation line, or the
        option added at the end of the section."""
        current = self.get(section, name)
        if current is not None and value in current:
            return
        where = self._option(section, name)
        if where is not None:
            self.lines.insert(where[1] + 1, f"    {value}")
            self.changes.append(f"[{section}] {name}: added {value} ({why})")
            return
        span = self._span(section)
        assert span is not None
        end = span[1]
        while end > span[0] and not self.lines[end - 1].strip():
            end -= 1
        self.lines.insert(end, f"{name} = {value}")
        self.changes.append(f"[{section}] {name} = {value} ({why})")
