"""Real boards' memory timing on top of the zero-wait-state cycle count.

m0nn.cycles counts a Cortex-M0/M0+ with zero-wait-state memory. A board adds
the wait states of the memory its code and constants sit in. The counts that
decide them come from the same execution (m0nn.memtrace checks that its PC
sequence equals QEMU's): taken branches (a fetch from a new address) and data
reads whose address lies in flash (literal-pool and weight/table loads; an LDM
of N words is N reads).

Profiles (1-cycle multiplier on all three):

- nRF51822 (BBC micro:bit v1), Cortex-M0 at 16 MHz, code and constants in
  flash with 0 wait states: the zero-wait-state count as it is.
- STM32F030 (Nucleo-F030R8), Cortex-M0 at 48 MHz, FLASH_ACR LATENCY = 1 (one
  wait state; the STM32F0x0 register description offers 0 and 1, one being
  needed above 24 MHz) and the prefetch buffer on (PRFTBE). The F0 flash is
  organised in 32-bit cells (RM0091, section 3.2.1; assumed the same for the
  F030's RM0360), so a flash read takes 2 HCLK cycles and returns one word.
  The model: the M0 fetches 32 bits (two
  16-bit instructions) at a time and needs at least 2 cycles to execute them,
  so with prefetch on the next sequential word is read while the current one
  runs, and sequential fetches cost nothing extra; a taken branch (B, BL, BX,
  POP {pc}, MOV pc) fetches a word the prefetcher did not read and pays +1;
  each data read from flash pays +1. Assumptions: no contention between a
  data read and the prefetch of the next instruction word (optimistic for
  loops that stream weights from flash), and no hit in the prefetch buffer
  for branch targets (pessimistic for short backward loops). It is a model
  of documented behaviour, not a measurement; a board with SysTick can check it.
- RP2040 (Raspberry Pi Pico), Cortex-M0+ at 125 MHz (the Pico SDK's default
  clk_sys; rated 133 MHz), code and constants copied to SRAM (a `copy_to_ram`
  build): SRAM has no wait states, so the M0+ zero-wait-state count. Not
  modelled: execution in place from the QSPI flash through the 16 KB XIP
  cache (misses cost tens of cycles), bus contention with the other core or DMA.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    key: str
    title: str
    core: str  # "M0" or "M0+": the timing table of m0nn.cycles
    mhz: int
    flash_wait: int  # wait states of a flash access not hidden by the prefetcher


BOARDS = (
    Board("nrf51", "nRF51822 @16 MHz (flash, 0 WS)", "M0", 16, 0),
    Board("stm32f030", "STM32F030 @48 MHz (flash, 1 WS, prefetch on)", "M0", 48, 1),
    Board("rp2040", "RP2040 @125 MHz (SRAM, M0+)", "M0+", 125, 0),
)


def board_cycles(board: Board, core_cycles: int, nonsequential: int, flash_data_reads: int) -> int:
    """Cycles on `board`, from the zero-wait-state count of its core
    (`core_cycles`), the taken branches and the data reads from flash.

    >>> board_cycles(BOARDS[1], 1000, 50, 200)
    1250
    >>> board_cycles(BOARDS[0], 1000, 50, 200)
    1000
    """
    return core_cycles + board.flash_wait * (nonsequential + flash_data_reads)


def microseconds(board: Board, cycles: int) -> float:
    """Time of `cycles` at the board's clock.

    >>> microseconds(BOARDS[0], 18477)
    1154.8125
    """
    return cycles / board.mhz
