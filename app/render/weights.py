"""A stage's parameters, rebuilt rather than stored: runs keep only tensors, not modules.

The API promises that ``torch.manual_seed(seed)`` then building the modules in pipeline order gives
the same weights, so rebuilding is exact and costs only the (cheap) initialisation.
"""

from __future__ import annotations

import torch

from ..engine.run import Trace, rebuild_modules


def stage_weight(trace: Trace, k: int) -> torch.Tensor | None:
    """Layer k's ``weight`` (1-based), or None when it has none."""
    weight = getattr(rebuild_modules(trace)[k - 1], "weight", None)
    return weight.detach() if isinstance(weight, torch.Tensor) else None
