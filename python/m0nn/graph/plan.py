"""Arena planning of a graph model: every intermediate tensor gets an offset
in one arena, by liveness (a tensor lives from the operator that writes it to
the last one that reads it), greedy first fit, largest first, 4-byte aligned."""

from __future__ import annotations

from dataclasses import dataclass

from m0nn.graph.ir import GModel

ALIGN = 4


@dataclass
class ArenaPlan:
    offsets: dict[int, int]  # buffer -> arena offset (input and output buffers excluded)
    size: int  # bytes of the arena
    lower_bound: int  # the largest total of tensors live at once (unaligned)
    input_buf: int
    output_buf: int


def plan_arena(model: GModel) -> ArenaPlan:
    in_buf, out_buf = model.input_tensor.buf, model.output_tensor.buf
    sizes: dict[int, int] = {}
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, op in enumerate(model.ops):
        t = model.tensor(op.output)
        sizes[t.buf] = t.size
        first.setdefault(t.buf, i)
        last[t.buf] = max(last.get(t.buf, i), i)
        for tid in op.inputs:
            b = model.tensor(tid).buf
            last[b] = max(last.get(b, i), i)
    bufs = [b for b in sizes if b not in (in_buf, out_buf)]
    lower = 0
    for i in range(len(model.ops)):
        lower = max(lower, sum(sizes[b] for b in bufs if first[b] <= i <= last[b]))
    offsets: dict[int, int] = {}
    for b in sorted(bufs, key=lambda b: (-sizes[b], first[b])):
        clashes = sorted(
            (offsets[o], offsets[o] + sizes[o]) for o in offsets if first[o] <= last[b] and first[b] <= last[o]
        )
        at = 0
        for lo, hi in clashes:
            if at + sizes[b] <= lo:
                break
            at = max(at, -(-hi // ALIGN) * ALIGN)
        offsets[b] = at
    size = max((offsets[b] + sizes[b] for b in bufs), default=0)
    return ArenaPlan(offsets, size, lower, in_buf, out_buf)
