"""Generation settings and their defaults (standard library only: the pre-build
no-change path compares them with what the headers record)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

KERNELS = ("b8", "b8w", "ref", "small")
# kernels that read offset-binary input (b4: chosen per layer, see int4; b8p: chosen per layer under b8w)
BLOCKED = ("b8", "b8w", "b4", "b8p")
REQUANT_MODES = ("auto", "q31", "mul32", "pow2")
INT4_MODES = ("auto", "off", "force")


class SettingError(ValueError):
    """A bad setting; `fields` names the Settings fields it is about (the pre-build
    names the platformio.ini options of those fields)."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class Settings:
    """kernel: "b8" (m0nn_fc_s8_b8), "b8w" (m0nn_fc_s8_b8w: the wide layout, twice
    the weight bytes, faster on ARMv6-M; where m0nn.plan.pairs_legal allows, the pairs
    layout m0nn_fc_s8_b8p, as many bytes and faster still), "ref" (m0nn_fc_s8) or "small" (m0nn_fc_s8_small
    and m0nn_model_run_small: the least code, MUL32 requantization only); requant: "auto", "q31",
    "mul32" or "pow2" (each multiplier rounded to a power of two: shift only);
    min_bits: the narrowest multiplier "auto" accepts for mul32; int4: "auto"
    (a layer of a blocked kernel whose weights all lie in [-8, 7], i.e. trained
    at 4 bits, runs m0nn_fc_s8_b4 on packed 4-bit weights), "off" (never) or
    "force" (every layer; an error if one does not fit); input_scale and
    input_zero: the user's raw sensor integers, real = input_scale * (raw - input_zero),
    for the header's raw-input conversion (None: no conversion)."""

    kernel: str = "b8"
    requant: str = "auto"
    min_bits: int = 10
    int4: str = "auto"
    input_scale: float | None = None
    input_zero: int = 0

    def line(self) -> str:
        """As the headers record it.

        >>> Settings().line()
        'kernel=b8 requant=auto min_bits=10'
        >>> Settings(int4="off").line()
        'kernel=b8 requant=auto min_bits=10 int4=off'
        >>> Settings(input_scale=0.0625).line()
        'kernel=b8 requant=auto min_bits=10 input_scale=0.0625 input_zero=0'

        int4 and the input scale appear only when they are not the default, so
        headers written before the options existed stay current.
        """
        int4 = "" if self.int4 == "auto" else f" int4={self.int4}"
        line = f"kernel={self.kernel} requant={self.requant} min_bits={self.min_bits}{int4}"
        if self.input_scale is not None:
            line += f" input_scale={self.input_scale!r} input_zero={self.input_zero}"
        return line

    def check(self) -> Settings:
        """Raises SettingError naming the fields at fault."""
        if self.kernel not in KERNELS:
            raise SettingError(f"unknown kernel {self.kernel!r} ({', '.join(KERNELS)})", "kernel")
        if self.requant not in REQUANT_MODES:
            raise SettingError(f"unknown requantization {self.requant!r} ({', '.join(REQUANT_MODES)})", "requant")
        if self.int4 not in INT4_MODES:
            raise SettingError(f"unknown int4 mode {self.int4!r} ({', '.join(INT4_MODES)})", "int4")
        if self.int4 == "force" and self.kernel in ("ref", "small"):
            raise SettingError(f"int4=force needs a blocked kernel (b8 or b8w), not {self.kernel}", "int4", "kernel")
        if self.kernel == "small" and self.requant not in ("auto", "mul32"):
            raise SettingError(f"kernel=small runs MUL32 only, not requant={self.requant}", "kernel", "requant")
        if not 1 <= self.min_bits <= 31:
            raise SettingError(f"min_bits {self.min_bits} is outside [1, 31]", "min_bits")
        if self.input_scale is not None and not (math.isfinite(self.input_scale) and self.input_scale > 0):
            raise SettingError(f"input scale {self.input_scale!r} is not a finite positive number", "input_scale")
        if not -(2**31) <= self.input_zero <= 2**31 - 1:
            raise SettingError(f"input zero point {self.input_zero} is not an int32", "input_zero")
        return self


def parse_input_scales(text: str) -> dict[str, tuple[float, int]]:
    """The `custom_m0nn_input_scale` option: per model (its file name without .onnx),
    the scale of its raw input and optionally the raw zero point, entries separated by
    commas or new lines: `digits = 0.0625`, `tilt = 0.000598 zero=-512`.

    >>> parse_input_scales("digits = 0.0625, tilt = 6.1e-4 zero=-512")
    {'digits': (0.0625, 0), 'tilt': (0.00061, -512)}
    """
    scales: dict[str, tuple[float, int]] = {}
    for entry in (e.strip() for e in re.split(r"[,\n]", text)):
        if not entry:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*=\s*(\S+)(?:\s+zero\s*=\s*([+-]?\d+))?", entry)
        if not m:
            raise ValueError(f"{entry!r} is not `MODEL = SCALE` or `MODEL = SCALE zero=INT`")
        name, scale_text, zero_text = m.groups()
        try:
            scale = float(scale_text)
        except ValueError:
            raise ValueError(f"{entry!r}: {scale_text!r} is not a number") from None
        if name in scales:
            raise ValueError(f"model {name!r} is given twice")
        try:
            Settings(input_scale=scale, input_zero=int(zero_text or 0)).check()
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        scales[name] = (scale, int(zero_text or 0))
    return scales


def graph_input_scale(label: str, stem: str, name: str) -> str:
    """The refusal of an input scale (custom_m0nn_input_scale, keyed by the file's `stem`) for a graph
    (conv) model, C name `name`: its header has no raw conversions (those are codegen.io_block's).

    >>> graph_input_scale("models/bars.onnx", "bars", "bars")[:84]
    'models/bars.onnx: custom_m0nn_input_scale applies to fully connected models only (a '
    """
    return (
        f"{label}: custom_m0nn_input_scale applies to fully connected models only (a graph model's header "
        f"has no {name}_input_from_s16 or {name}_output_to_q16); remove {stem} from it"
    )
