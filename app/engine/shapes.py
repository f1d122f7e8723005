"""Shapes as the engine handles them and as a learner reads them (the one place that writes ``3×32×32``)."""

from __future__ import annotations

import math
from typing import Any

Shape = tuple[int, ...]


def numel(shape: Shape) -> int:
    return math.prod(shape)


def shape_text(shape: Shape) -> str:
    """``1×3×32×32``; a 0-d tensor is "a scalar"."""
    return "×".join(map(str, shape)) if shape else "a scalar"


def pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    """torch's ``_size_2_t``: 3 means (3, 3)."""
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def as_tuples(value: Any) -> Any:
    """JSON arrays arrive as lists; torch's ``_size_2_t`` wants tuples (its repr shows them too)."""
    return tuple(as_tuples(v) for v in value) if isinstance(value, list | tuple) else value
