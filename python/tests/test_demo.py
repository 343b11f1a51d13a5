"""`make demo`'s RAM figure as README shows it: static RAM plus the stack bound the digits header
states (DIGITS_STACK_SIZE), in the demo's output block and in the "Measured numbers" row alike."""

from __future__ import annotations

import re

from conftest import ROOT

from m0nn import demo


def test_readme_demo_ram_is_static_plus_the_stack_bound() -> None:
    readme = (ROOT / "README.md").read_text()
    stack = demo.stack_bound(ROOT)
    row = next(line for line in readme.splitlines() if line.startswith("| digits firmware: flash / RAM"))
    m = re.search(r"\| ([\d,]+) / ([\d,]+) \(([\d,]+) \+ ([\d,]+)\) bytes \|", row)
    assert m, row
    flash, ram, static, row_stack = (int(g.replace(",", "")) for g in m.groups())
    assert row_stack == stack and ram == static + stack, row
    block = readme.split("m0nn demo: digits", 1)[1].split("```", 1)[0]
    assert f"\n  flash                          {flash} of 262144 bytes" in block
    assert f"\n  RAM                            {demo.ram_text(static, 16384, stack)}\n" in block
