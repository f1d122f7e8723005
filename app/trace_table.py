"""A run's trace as text: the torchinfo-style table the lab shows, for terminals and golden files.

Presentation only (torchinfo's ``formatting.py`` habit): it reads the engine's records and never
computes anything the engine did not. Times are left out, so the same request always gives the
same text.
"""

from __future__ import annotations

from .engine import Trace

_HEADER = ("Layer (type:depth-idx)", "Input Shape", "Output Shape", "Param #", "Mult-Adds")
_GAP = "  "


def _shape(shape: tuple[int, ...] | list[int]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def trace_table(trace: Trace) -> str:
    """The table, then totals, then each layer's notes (a lost batch dimension, torch's warnings)."""
    rows = [
        (f"{s.stage.spec.name}: 1-{s.stage.index}", _shape(s.stage.input_shape), _shape(s.output.shape), f"{s.stage.params:,}", f"{s.stage.mult_adds:,}")
        for s in trace.stages
    ]
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(len(_HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        # Names and shapes left-aligned, counts right-aligned, as in the lab's table.
        left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
        return _GAP.join(left + right).rstrip()

    rule = "=" * len(line(_HEADER))
    lines = [rule, line(_HEADER), rule, *(line(row) for row in rows), rule]
    lines += [
        f"Total params: {sum(s.stage.params for s in trace.stages):,}",
        f"Total mult-adds: {sum(s.stage.mult_adds for s in trace.stages):,}",
        f"Input shape: {_shape(trace.input.shape)}",
        f"Output shape: {_shape(trace.output.shape)}",
        f"Seed: {trace.seed}, mode: {trace.mode.value}",
        rule,
    ]
    notes = [f"{s.stage.spec.name}: 1-{s.stage.index}: {note}" for s in trace.stages for note in s.notes]
    if notes:
        lines += ["Notes:", *(f"  {note}" for note in notes)]
    return "\n".join(lines) + "\n"
