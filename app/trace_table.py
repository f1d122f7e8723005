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


def _number(value: float | int | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def trace_table(trace: Trace) -> str:
    """The table, then totals, then each layer's notes (a lost batch dimension, torch's warnings).

    A run with backward gains two columns: the L2 norm of ∂L/∂ the layer's output, and of ∂L/∂ its
    parameters (all of them together, as ``clip_grad_norm_`` measures).
    """
    rows = [
        (f"{s.stage.spec.name}: 1-{s.stage.index}", _shape(s.stage.input_shape), _shape(s.output.shape), f"{s.stage.params:,}", f"{s.stage.mult_adds:,}")
        for s in trace.stages
    ]
    header = _HEADER
    if trace.grads is not None:
        header = (*_HEADER, "Grad Norm", "Param Grad Norm")
        params = [sum((g.stats["norm"] or 0.0) ** 2 for g in p.values()) ** 0.5 if p else None for p in trace.grads.params]
        rows = [(*row, _number(g.stats["norm"]), _number(n)) for row, g, n in zip(rows, trace.grads.stages[1:], params, strict=True)]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        # Names and shapes left-aligned, counts right-aligned, as in the lab's table.
        left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
        return _GAP.join(left + right).rstrip()

    rule = "=" * len(line(header))
    lines = [rule, line(header), rule, *(line(row) for row in rows), rule]
    lines += [
        f"Total params: {sum(s.stage.params for s in trace.stages):,}",
        f"Total mult-adds: {sum(s.stage.mult_adds for s in trace.stages):,}",
        f"Input shape: {_shape(trace.input.shape)}",
        f"Output shape: {_shape(trace.output.shape)}",
        f"Seed: {trace.seed}, mode: {trace.mode.value}",
    ]
    if trace.grads is not None:
        lines.append(f"Loss: {_number(trace.grads.loss)}" if trace.grads.loss is not None else "Backward: the gradient of one output value")
        lines.append(f"Input grad norm: {_number(trace.grads.stages[0].stats['norm'])}")
    lines.append(rule)
    notes = [f"{s.stage.spec.name}: 1-{s.stage.index}: {note}" for s in trace.stages for note in s.notes]
    if notes:
        lines += ["Notes:", *(f"  {note}" for note in notes)]
    return "\n".join(lines) + "\n"
