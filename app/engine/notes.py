"""Short remarks on what a stage did that a learner would otherwise miss.

Decided from shapes and values (never from a layer's name): a batch dimension merged away, a layer
that left its input unchanged, values that overflowed, and torch's own warnings.
"""

from __future__ import annotations

import torch

from .records import Stage, Stats
from .shapes import shape_text


def _merged_batch(stage: Stage) -> str | None:
    """Flatten(start_dim=0) on a batch: N samples become one vector (EXAMPLES.md, case 13)."""
    start = stage.kwargs.get("start_dim")
    shape = stage.input_shape
    if start is None or len(shape) < 2 or start % len(shape) != 0:
        return None
    return (
        f"start_dim=0 merges the batch dimension: {shape[0]} samples of {shape_text(shape[1:])} became one vector of "
        f"{stage.output_shape[0]:,} values, so every later layer sees a single sample. "
        "Use start_dim=1 (the default) to keep one row per sample."
    )


def _unbatched_linear(stage: Stage) -> str | None:
    if "in_features" not in stage.kwargs or len(stage.input_shape) != 1:
        return None
    return (
        f"The input is one vector of {stage.input_shape[0]:,} values with no batch dimension, so the output "
        f"{shape_text(stage.output_shape)} is a single answer for everything that went in."
    )


def stage_notes(stage: Stage, x: torch.Tensor, x_stats: Stats, y: torch.Tensor, stats: Stats, warned: list[str]) -> list[str]:
    notes = [n for n in (_merged_batch(stage), _unbatched_linear(stage)) if n] + list(stage.size_notes)
    # Equal tensors have equal statistics; comparing those first skips the full comparison almost always
    # (NaN is never equal to itself, so torch.equal is False whenever there is one).
    if x.shape == y.shape and x_stats == stats and not stats["nan_count"] and torch.equal(x, y):
        notes.append("The output is identical to the input: this layer changed nothing for these values.")
    if stats["nan_count"] or stats["inf_count"]:
        notes.append("Some outputs are not finite (inf or NaN); they are given as null in values.")
    notes.extend(f"torch warned: {w}" for w in dict.fromkeys(warned))
    return notes
