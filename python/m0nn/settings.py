"""Generation settings and their defaults (standard library only: the pre-build
no-change path compares them with what the headers record)."""

from __future__ import annotations

from dataclasses import dataclass

KERNELS = ("b8", "b8w", "ref")
BLOCKED = ("b8", "b8w")  # kernels that read offset-binary input
REQUANT_MODES = ("auto", "q31", "mul32", "pow2")


@dataclass(frozen=True)
class Settings:
    """kernel: "b8" (m0nn_fc_s8_b8), "b8w" (m0nn_fc_s8_b8w: the wide layout, twice
    the weight bytes, faster on ARMv6-M) or "ref" (m0nn_fc_s8); requant: "auto", "q31",
    "mul32" or "pow2" (each multiplier rounded to a power of two: shift only);
    min_bits: the narrowest multiplier "auto" accepts for mul32."""

    kernel: str = "b8"
    requant: str = "auto"
    min_bits: int = 10

    def line(self) -> str:
        """As the headers record it.

        >>> Settings().line()
        'kernel=b8 requant=auto min_bits=10'
        """
        return f"kernel={self.kernel} requant={self.requant} min_bits={self.min_bits}"

    def check(self) -> Settings:
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown kernel {self.kernel!r} ({', '.join(KERNELS)})")
        if self.requant not in REQUANT_MODES:
            raise ValueError(f"unknown requantization {self.requant!r} ({', '.join(REQUANT_MODES)})")
        if not 1 <= self.min_bits <= 31:
            raise ValueError(f"min_bits {self.min_bits} is outside [1, 31]")
        return self
