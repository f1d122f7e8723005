"""Plain-Python summaries of tensors: statistics and exact values that JSON can carry.

JSON has no NaN or infinity, so non-finite numbers become ``None`` in ``values`` and are counted in
the statistics, which are taken over the finite values only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from .records import Stats

MAX_VALUES = 4096  # the contract: exact values whenever a tensor has at most this many elements
BACKGROUND_ELEMENTS = 1 << 16  # below this, handing the statistics to another thread costs more than they do
_STATS_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="layerlab-stats")


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
    t = t.detach().cpu()
    if not t.is_floating_point() or bool(torch.isfinite(t).all()):
        return t.tolist()  # nothing to replace: no walk over every value in Python (was ~20 % of a run's GIL time)
    return _clean(t.tolist())


def tensor_stats(t: torch.Tensor) -> dict[str, float | int | None]:
    """min, max, mean, std (torch's default, unbiased), zero fraction, and non-finite counts.

    The numbers are torch's own (``t.min()``, ``t.mean()``, ``t.std()`` in the tensor's dtype), so
    they match what a user's script prints. One ``aminmax`` pass decides the common case: NaN
    propagates into min and max, so finite extremes mean every value is finite and the statistics
    need no filtered copy (a float64 copy of a 4-million-value stage cost 25× more).
    """
    flat = t.detach().reshape(-1)
    if not flat.is_floating_point():
        flat = flat.to(torch.float64)  # indices: exact in float64
    n = flat.numel()
    if n == 0:
        return {"min": None, "max": None, "mean": None, "std": None, "zero_fraction": None, "nan_count": 0, "inf_count": 0}
    # numpy counts non-zero floats in one pass with no temporary (NaN counts as non-zero, -0.0 as zero,
    # as ``== 0`` decides): ~8x faster than torch's bool sum, and no n-byte mask as ``== 0`` made.
    zero_fraction = (n - int(np.count_nonzero(flat.contiguous().numpy()))) / n
    lo, hi = torch.aminmax(flat)
    if math.isfinite(lo) and math.isfinite(hi):
        finite, nan_count, inf_count = flat, 0, 0
    else:
        is_finite = torch.isfinite(flat)
        finite = flat[is_finite]
        nan_count = int(torch.isnan(flat).sum())
        inf_count = n - finite.numel() - nan_count
        if finite.numel():
            lo, hi = torch.aminmax(finite)
    stats: dict[str, float | int | None] = {
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "zero_fraction": zero_fraction,
        "nan_count": nan_count,
        "inf_count": inf_count,
    }
    if finite.numel():
        # Separate mean and std: torch.std_mean was measured 2.5x slower than the two calls.
        stats["min"], stats["max"], stats["mean"] = float(lo), float(hi), _finite_or_none(float(finite.mean()))
        stats["std"] = _finite_or_none(float(finite.std())) if finite.numel() > 1 else None
    return stats


def stats_soon(t: torch.Tensor, then: Callable[[Stats], object] | None = None) -> Future[Stats]:
    """:func:`tensor_stats` of ``t``, on a helper thread when ``t`` is large: a run computes the next
    layer meanwhile (torch releases the GIL in both), so the statistics cost the run little wall time.
    The numbers are the same calls on the same tensor; only the thread differs.

    ``then(stats)`` is called before the future is done, so whoever waits for it finds its effects.
    """

    def stats() -> Stats:
        found = tensor_stats(t)
        if then is not None:
            then(found)
        return found

    if t.numel() < BACKGROUND_ELEMENTS:
        done: Future[Stats] = Future()
        done.set_result(stats())
        return done
    return _STATS_THREADS.submit(stats)
