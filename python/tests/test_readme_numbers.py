"""README's "Measured numbers" rows that `m0nn bench`, `m0nn bench-conv` and `m0nn fuzz` print carry
the numbers of their committed results files (docs/benchmarks.json, docs/benchmarks_conv.json,
docs/fuzz.json). test_cycles checks that those files match a fresh run, so a README row that
drifts from them (a kernel change re-recorded without its README row) fails here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ROOT

# The variants of docs/benchmarks.json under the names README gives them.
B8, B8W, REF, SMALL, B4 = "m0nn", "m0nn wide", "baseline", "m0nn small", "m0nn 4-bit"


def _rows() -> dict[str, list[str]]:
    """The "Measured numbers" table: first cell -> the other cells."""
    table = (ROOT / "README.md").read_text().split("## Measured numbers", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


ROWS = _rows()


def _value(start: str) -> str:
    found = [cells[0] for what, cells in ROWS.items() if what.startswith(start)]
    assert len(found) == 1, f"{len(found)} README rows start with {start!r}"
    return found[0]


def _bench() -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["case"], r["variant"]): r for r in json.loads((ROOT / "docs" / "benchmarks.json").read_text())}


BENCH = _bench()


def _cycles(case: str, variant: str, board: str = "nrf51") -> int:
    return int(BENCH[case, variant]["boards"][board])


def _per_mac(case: str, *variants: str) -> str:
    return " / ".join(f"{_cycles(case, v) / BENCH[case, v]['macs']:.2f}" for v in variants)


def _n(values: list[int]) -> str:
    return " / ".join(f"{v:,}" for v in values)


def test_the_table_is_found() -> None:
    assert len(ROWS) > 20 and all(len(cells) == 2 for cells in ROWS.values())


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "digits: Cortex-M0 cycles per inference",
            _n([_cycles("digits 64-32-32-10", v) for v in (B8, B8W, REF)]),
        ),
        (
            "digits `b8`: µs per inference",
            _n(
                [
                    round(_cycles("digits 64-32-32-10", B8, board) / mhz)
                    for board, mhz in (("nrf51", 16), ("stm32f030", 48), ("rp2040", 125))
                ]
            ),
        ),
        (
            "digits `b8`: cycles per inference on those three",
            _n([_cycles("digits 64-32-32-10", B8, board) for board in ("nrf51", "stm32f030", "rp2040")]),
        ),
        ("FC 64->64: cycles per MAC", _per_mac("FC 64->64", B8, B8W, REF)),
        ("FC 16->64: cycles per MAC", _per_mac("FC 16->64", B8, B8W, REF)),
        (
            "16-64-64-4 MLP: cycles per inference",
            _n([_cycles("MLP 16-64-64-4", v) for v in (B8, B8W, REF, SMALL)]),
        ),
        (
            "lib/m0nn code linked for that MLP",
            _n([BENCH["MLP 16-64-64-4", v]["m0nn_code"] for v in (B8, B8W, REF, SMALL)]) + " bytes",
        ),
        (
            "TFLite-exact Q31 requantization",
            " / ".join(f"{BENCH['FC 640->128', v]['requant_cycles_per_output']:.1f}" for v in (B8, REF)),
        ),
        ("FC 640->128 (its bound needs Q31)", _per_mac("FC 640->128", B8, B8W, REF)),
        ("FC 64->64 with 4-bit weights: cycles per MAC", _per_mac("FC 64->64 4-bit", B4, B8, B8W)),
        ("FC 640->128 with 4-bit weights: cycles per MAC", _per_mac("FC 640->128 4-bit", B4, B8W)),
        (
            "MLPerf Tiny AD autoencoder",
            f"{_cycles('AD autoencoder 4-bit', B4):,} / {_cycles('AD autoencoder 4-bit', B4) / 16000:.1f}",
        ),
        (
            "the same on STM32F030 @48 MHz / RP2040 @125 MHz",
            f"{_cycles('AD autoencoder 4-bit', B4, 'stm32f030') / 48000:.1f}"
            f" / {_cycles('AD autoencoder 4-bit', B4, 'rp2040') / 125000:.1f}",
        ),
    ],
)
def test_bench_rows(row: str, expected: str) -> None:
    assert _value(row) == expected


def test_the_autoencoder_image_row() -> None:
    ad = BENCH["AD autoencoder 4-bit", B4]
    flash = ad["text"] + ad["rodata"]
    assert _value("its micro:bit image").startswith(
        f"{flash:,} ({ad['text']:,} + {ad['rodata']:,}) / {ad['bss']:,} bytes of 262,144 / 16,384"
    )


def test_the_digits_row_names_the_demo_figure() -> None:
    what = next(w for w in ROWS if w.startswith("digits: Cortex-M0 cycles per inference"))
    assert f"(`make demo`: {_cycles('digits 64-32-32-10', B8):,})" in ROWS[what][1]


def test_conv_rows() -> None:
    conv = {(r["case"], r["variant"]): r for r in json.loads((ROOT / "docs" / "benchmarks_conv.json").read_text())}

    def per_mac(case: str) -> str:
        return " / ".join(f"{conv[case, v]['cycles'] / conv[case, v]['macs']:.2f}" for v in ("m0nn", "reference"))

    cases = [
        "Conv1d 3->8 k5, 32 samples",
        "Conv2d 8->16 3x3, 8x8",
        "depthwise 3x3, 16ch 8x8",
        "pointwise 1x1 16->32, 8x8",
    ]
    assert _value("conv cycles per MAC") == ", ".join(per_mac(c) for c in cases)
    cnn = "digits-size CNN (end to end)"
    assert _value("digits-size CNN") == _n([conv[cnn, v]["cycles"] for v in ("m0nn", "reference")])


def test_fuzz_row() -> None:
    fuzz = json.loads((ROOT / "docs" / "fuzz.json").read_text())
    targets = [fuzz["targets"][t] for t in ("native", "native_asan", "m0")]
    models = fuzz["models"]
    runs = [models["targets"][t] for t in ("native", "native_asan", "m0")]
    assert sum(t["mismatches"] for t in targets) == 0 and sum(r["mismatches"] for r in runs) == 0
    assert fuzz["tflite_reference"]["mismatches"] == 0
    assert _value("differential fuzzing") == (
        f"{_n([t['calls'] for t in targets])}, 0 mismatches"
        f" (of them {_n([t['split_calls'] for t in targets])} calls of the Q31 split kernels"
        f" and {_n([t['pairs_calls'] for t in targets])} of the pairs kernel `m0nn_fc_s8_b8p`;"
        f" {_n([t['refused_calls'] for t in targets])} calls it refused, output untouched);"
        f" {models['models']:,} generated models x {models['vectors_per_model']} inputs each"
        f" ({models['layers_per_kernel']['b8p']} layers on `b8p`), 0 mismatches;"
        f" {fuzz['tflite_reference']['q31_outputs_checked']:,} Q31 outputs vs the TFLite-style reference,"
        " 0 mismatches"
    )


def test_the_kernel_table_small_row() -> None:
    """The kernels table's `small` row: its code and cycles against `b8` on the 16-64-64-4 MLP."""
    mlp = "MLP 16-64-64-4"
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `small` |"))
    code, b8_code = BENCH[mlp, SMALL]["m0nn_code"], BENCH[mlp, B8]["m0nn_code"]
    ratio = _cycles(mlp, SMALL) / _cycles(mlp, B8)
    expected = f"{code:,} bytes of lib/m0nn code for the 16-64-64-4 MLP (b8: {b8_code:,}), at {ratio:.1f}x b8's cycles"
    assert expected in row


def test_entry_run_row() -> None:
    """The entry's long run (docs/entry_run.md, a documented command): every target drew the same
    4,000,000 calls and passed, and README's row carries its counts."""
    lines = (ROOT / "docs" / "entry_run.md").read_text().splitlines()
    runs = {
        cells[0]: cells[1:]
        for cells in (
            [c.strip() for c in line.strip("|").split("|")]
            for line in lines
            if line.startswith("| native") or line.startswith("| m0_qemu")
        )
    }
    assert sorted(runs) == ["m0_qemu", "native", "native_asan"]
    counts = {tuple(int(c) for c in cells[:3]) for cells in runs.values()}
    assert len(counts) == 1 and all(cells[3] == "6 of 6 passed" for cells in runs.values())
    legal, refused, skipped = counts.pop()
    assert legal + refused + skipped == 4 * 1_000_000
    assert _value("the MUL32 blocked kernels' ARMv6-M entry").startswith(
        f"{legal + refused + skipped:,} calls per target, native, ASan+UBSan and emulated M0"
        f" ({legal:,} legal, {refused:,} refused, {skipped:,} skipped"
    )
