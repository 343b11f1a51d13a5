"""Generation settings and their defaults (standard library only: the pre-build
no-change path compares them with what the headers record)."""

from __future__ import annotations

from dataclasses import dataclass

KERNELS = ("b8", "b8w", "ref")
BLOCKED = ("b8", "b8w", "b4")  # kernels that read offset-binary input (b4: chosen per layer, see int4)
REQUANT_MODES = ("auto", "q31", "mul32", "pow2")
INT4_MODES = ("auto", "off", "force")


@dataclass(frozen=True)
class Settings:
    """kernel: "b8" (m0nn_fc_s8_b8), "b8w" (m0nn_fc_s8_b8w: the wide layout, twice
    the weight bytes, faster on ARMv6-M) or "ref" (m0nn_fc_s8); requant: "auto", "q31",
    "mul32" or "pow2" (each multiplier rounded to a power of two: shift only);
    min_bits: the narrowest multiplier "auto" accepts for mul32; int4: "auto"
    (a layer of a blocked kernel whose weights all lie in [-8, 7], i.e. trained
    at 4 bits, runs m0nn_fc_s8_b4 on packed 4-bit weights), "off" (never) or
    "force" (every layer; an error if one does not fit)."""

    kernel: str = "b8"
    requant: str = "auto"
    min_bits: int = 10
    int4: str = "auto"

    def line(self) -> str:
        """As the headers record it.

        >>> Settings().line()
        'kernel=b8 requant=auto min_bits=10'
        >>> Settings(int4="off").line()
        'kernel=b8 requant=auto min_bits=10 int4=off'

        int4 appears only when it is not the default, so headers written before
        the option existed stay current.
        """
        int4 = "" if self.int4 == "auto" else f" int4={self.int4}"
        return f"kernel={self.kernel} requant={self.requant} min_bits={self.min_bits}{int4}"

    def check(self) -> Settings:
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown kernel {self.kernel!r} ({', '.join(KERNELS)})")
        if self.requant not in REQUANT_MODES:
            raise ValueError(f"unknown requantization {self.requant!r} ({', '.join(REQUANT_MODES)})")
        if self.int4 not in INT4_MODES:
            raise ValueError(f"unknown int4 mode {self.int4!r} ({', '.join(INT4_MODES)})")
        if self.int4 == "force" and self.kernel == "ref":
            raise ValueError("int4=force needs a blocked kernel (b8 or b8w), not ref")
        if not 1 <= self.min_bits <= 31:
            raise ValueError(f"min_bits {self.min_bits} is outside [1, 31]")
        return self
