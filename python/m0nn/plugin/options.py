"""The `custom_m0nn_*` options of a project, checked over all its environments.

Standard library only: the pre-build step runs it in PlatformIO's Python on every build.

Every environment of a project shares one header folder (lib/m0nn_models, or
lib/m0nn/generated), so the options that go into the headers (SHARED) must have one
value in every environment that runs m0nn's pre-build step: set in `[env]`, or the same
in each. Otherwise each build would regenerate the headers for its own environment and
the next environment's build back. The budget and the zero-FP gate (PER_ENV) are checked
per build and write nothing, so they may differ. An option m0nn does not know (a typo)
is an error, not a silent default.

`config` is PlatformIO's ProjectConfig (in a build: env.GetProjectConfig(); in
`m0nn prebuild`: read from platformio.ini), or IniConfig when PlatformIO is not
importable: [env], [env:NAME] and `extends` as PlatformIO reads them, without
`${...}` interpolation.
"""

from __future__ import annotations

import configparser
import difflib
import re
from pathlib import Path
from typing import Any

from m0nn.settings import Settings

PREFIX = "custom_m0nn_"
SHARED = ("models", "kernel", "requant", "min_bits", "int4", "input_scale")  # what the headers record
PER_ENV = ("ram", "flash", "fp_gate", "test_models")
KNOWN = tuple(PREFIX + name for name in SHARED + PER_ENV)
DEFAULTS = {name: str(getattr(Settings(), name)) for name in ("kernel", "requant", "min_bits", "int4")}
SHIM = "m0nn_prebuild.py"  # resources.SHIM: an environment runs m0nn when its extra_scripts name it


def unknown_line(option: str, where: str) -> str:
    """The error of an option m0nn does not know, with the closest known one.

    >>> unknown_line("custom_m0nn_kernl", "[env:m0_qemu]")  # doctest: +ELLIPSIS
    'unknown option custom_m0nn_kernl in [env:m0_qemu] (did you mean custom_m0nn_kernel?); ...'
    """
    close = [PREFIX + option] if PREFIX + option in KNOWN else difflib.get_close_matches(option, KNOWN, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown option {option} in {where}{hint}; m0nn knows {', '.join(KNOWN)}"


def check_known(options: dict[str, str], where: str, every: bool = False) -> None:
    """ValueError for the first option in `options` m0nn does not know: a custom_m0nn_* one,
    or (`every`: options given to m0nn alone, as `m0nn prebuild --option`) any other."""
    for option in options:
        if (every or option.startswith(PREFIX)) and option not in KNOWN:
            raise ValueError(unknown_line(option, where))


def _sources(config: Any, env: str) -> dict[str, str]:
    """Each custom_m0nn_* option of [env:`env`] and the section it comes from
    (its own, one it extends, or [env])."""
    walk = getattr(config, "walk_options", None)
    if walk is None:  # a PlatformIO without walk_options: the environment's name only
        return {o: f"[env:{env}]" for o in config.options(env=env) if o.startswith(PREFIX)}
    found: dict[str, str] = {}
    for section, option in walk(f"env:{env}"):
        if option.startswith(PREFIX):
            found.setdefault(option, f"[{section}]")
    return found


def runs_m0nn(config: Any, env: str) -> bool:
    scripts = config.get(f"env:{env}", "extra_scripts", [])
    scripts = scripts.split("\n") if isinstance(scripts, str) else scripts
    return any(Path(s.split(":", 1)[-1].strip()).name == SHIM for s in scripts)


def env_options(config: Any, env: str | None) -> dict[str, str]:
    """The custom_m0nn_* options of [env:`env`] (None: the common [env] section)."""
    section = f"env:{env}" if env else "env"
    if env is None and "env" not in config.sections():
        return {}
    return {k: _text(v) for k, v in config.items(section=section, as_dict=True).items() if k.startswith(PREFIX)}


def check_project(config: Any, headers: str) -> None:
    """ValueError (one line) for an unknown option in any environment that runs m0nn, or a
    SHARED option with different values in two of them (`headers`: the shared folder)."""
    seen: dict[str, tuple[str, str]] = {}  # option -> (value, how the first environment gives it)
    for env in config.envs():
        if not runs_m0nn(config, env):
            continue
        sources = _sources(config, env)
        for option, where in sources.items():
            if option not in KNOWN:
                raise ValueError(unknown_line(option, where))
        values = env_options(config, env)
        for name in SHARED:
            option = PREFIX + name
            given = _normal(values.get(option, ""))
            value = given or DEFAULTS.get(name, "")  # `kernel = b8` and no kernel give the same headers
            shown = repr(given) if given else ("not set" + (f" (default {value!r})" if value else ""))
            if option not in seen:
                seen[option] = (value, f"{shown} in [env:{env}]")
            elif seen[option][0] != value:
                raise ValueError(
                    f"{option} is {shown} in [env:{env}] but {seen[option][1]}; "
                    f"every environment shares the model headers ({headers}): set it once in [env]"
                )


def _normal(value: str) -> str:
    """A value as compared: entries (comma or line separated) with their spacing dropped.

    >>> _normal("digits = 0.0625,\\n tilt=6e-4  zero=-512")
    'digits=0.0625, tilt=6e-4 zero=-512'
    """
    parts = (re.sub(r"\s*=\s*", "=", " ".join(p.split())) for p in re.split(r"[,\n]", value))
    return ", ".join(p for p in parts if p)


def _text(value: Any) -> str:
    return "\n".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


class IniConfig:
    """platformio.ini read without PlatformIO: the part of ProjectConfig check_project and
    `m0nn prebuild` use. Sections [env], [env:NAME] and `extends` as PlatformIO resolves them;
    `${...}` is not expanded (check_interpolation refuses it)."""

    def __init__(self, path: Path) -> None:
        self._parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"), interpolation=None)
        with path.open(encoding="utf-8") as f:
            self._parser.read_file(f)

    def sections(self) -> list[str]:
        return self._parser.sections()

    def envs(self) -> list[str]:
        return [s[4:] for s in self._parser.sections() if s.startswith("env:")]

    def get_default_env(self) -> str | None:
        defaults = [v.strip() for v in re.split(r"[,\n]", self.get("platformio", "default_envs", "")) if v.strip()]
        envs = self.envs()
        return defaults[0] if defaults else (envs[0] if envs else None)

    def walk_options(self, root: str) -> list[tuple[str, str]]:
        """(section, option) in PlatformIO's order: the section, what it extends, then [env]."""
        queue = ["env", root] if root.startswith("env:") else [root]
        done: list[str] = []
        out = []
        while queue:
            section = queue.pop()
            if section in done or not self._parser.has_section(section):
                continue
            done.append(section)
            out += [(section, option) for option in self._parser.options(section)]
            if self._parser.has_option(section, "extends"):
                queue += [v.strip() for v in re.split(r"[,\n]", self._parser.get(section, "extends")) if v.strip()]
        return out

    def get(self, section: str, option: str, default: Any = "") -> Any:
        for where, name in self.walk_options(section):
            if name == option:
                return self._parser.get(where, name)
        return default

    def items(self, section: str, as_dict: bool = True) -> dict[str, str]:
        return {name: self.get(section, name) for _, name in self.walk_options(section)}


def check_interpolation(options: dict[str, str]) -> None:
    """IniConfig does not expand `${...}`: such a value needs PlatformIO to be read."""
    for option, value in options.items():
        if "${" in value:
            raise ValueError(
                f"{option} = {value.strip()!r} refers to another option (${{...}}), which only PlatformIO "
                "expands: install it in this Python (pip install 'm0nn[pio]') or give the value with --option"
            )
