"""Plain-Python summaries of tensors: statistics and exact values that JSON can carry.

JSON has no NaN or infinity, so non-finite numbers become ``None`` in ``values`` and are counted in
the statistics, which are taken over the finite values only.
"""

from __future__ import annotations

import math
from typing import Any

import torch

MAX_VALUES = 4096  # the contract: exact values whenever a tensor has at most this many elements


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _clean(nested: Any) -> Any:
    if isinstance(nested, list):
        return [_clean(v) for v in nested]
    return _finite_or_none(float(nested)) if isinstance(nested, float) else nested


def tensor_values(t: torch.Tensor | None, limit: int = MAX_VALUES) -> Any:
    """Exact nested values when ``t`` has at most ``limit`` elements, else ``None``."""
    if t is None or t.numel() > limit:
        return None
    return _clean(t.detach().cpu().tolist())


def tensor_stats(t: torch.Tensor) -> dict[str, float | int | None]:
    """min, max, mean, std (torch's default, unbiased), zero fraction, and non-finite counts."""
    flat = t.detach().reshape(-1).to(torch.float64)
    finite = flat[torch.isfinite(flat)]
    n = finite.numel()
    stats: dict[str, float | int | None] = {
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "zero_fraction": (float((flat == 0).sum()) / flat.numel()) if flat.numel() else None,
        "nan_count": int(torch.isnan(flat).sum()),
        "inf_count": int(torch.isinf(flat).sum()),
    }
    if n:
        stats["min"] = float(finite.min())
        stats["max"] = float(finite.max())
        stats["mean"] = float(finite.mean())
        stats["std"] = _finite_or_none(float(finite.std())) if n > 1 else None
    return stats
