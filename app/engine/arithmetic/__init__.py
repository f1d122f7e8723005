"""The arithmetic of any output value: the numbers torch combined to get it, from the run's own tensors.

``output_arithmetic(trace, k, index)`` rebuilds layer k's module (same seed, same order, so the same
weights), reads its input and output from the run, and spells out output[index]: the window beside
the kernel and their products, the winner of a max, the divisor of an average, f(x). The recomputed
``result`` equals the output (tests check it against torch for random layers of every rule).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..errors import QueryError
from ..registry import Arithmetic
from ..run import Trace, rebuild_modules
from . import pointwise, windows
from .record import OutputArithmetic, Point, Source, Window, Winner

__all__ = ["OutputArithmetic", "Source", "Window", "Winner", "output_arithmetic"]

RULES: dict[Arithmetic, Callable[[Point], OutputArithmetic]] = {
    Arithmetic.CONVOLUTION: windows.convolution,
    Arithmetic.TRANSPOSED_CONVOLUTION: windows.transposed_convolution,
    Arithmetic.MAX_POOL: windows.max_pool,
    Arithmetic.AVG_POOL: windows.avg_pool,
    Arithmetic.ADAPTIVE_MAX_POOL: windows.adaptive_max_pool,
    Arithmetic.ADAPTIVE_AVG_POOL: windows.adaptive_avg_pool,
    Arithmetic.MAX_UNPOOL: windows.max_unpool,
    Arithmetic.LINEAR: pointwise.linear,
    Arithmetic.BATCH_NORM: pointwise.batch_norm,
    Arithmetic.ELEMENTWISE: pointwise.elementwise,
    Arithmetic.RANDOM_ELEMENTWISE: pointwise.random_elementwise,
    Arithmetic.SOFTMAX: pointwise.softmax,
    Arithmetic.LOG_SOFTMAX: pointwise.log_softmax,
    Arithmetic.RESAMPLE: pointwise.linear_map,
    Arithmetic.FLATTEN: pointwise.linear_map,
}


def _check_index(index: Sequence[int], shape: tuple[int, ...], label: str) -> tuple[int, ...]:
    names = "[" + ", ".join("n c y x".split()[-len(shape):] if len(shape) <= 4 else ["i"] * len(shape)) + "]"
    if len(index) != len(shape):
        raise QueryError(
            f"{label} has shape {list(shape)}, so index needs {len(shape)} numbers {names}; got {len(index)}.", "index"
        )
    for axis, (i, size) in enumerate(zip(index, shape, strict=True)):
        if not 0 <= i < size:
            raise QueryError(f"{label} has shape {list(shape)}: index {i} on axis {axis} is outside 0…{size - 1}.", "index")
    return tuple(index)


def output_arithmetic(trace: Trace, k: int, index: Sequence[int]) -> OutputArithmetic:
    """How layer k (1-based) computed its output at ``index`` (one number per output dimension)."""
    stage = trace.stages[k - 1]
    spec = stage.stage.spec
    label = f"Layer {k} ({spec.name})'s output"
    at = _check_index(index, tuple(stage.output.shape), label)
    module = rebuild_modules(trace)[k - 1]
    x = trace.input if k == 1 else trace.stages[k - 2].output
    source = stage.stage.indices_from
    indices = trace.stages[source].indices if source is not None else None
    with torch.no_grad():
        record = RULES[spec.arithmetic](Point(spec, module, x, stage.output, at, indices))
    record.layer, record.type, record.rule, record.index = k, spec.name, spec.arithmetic.value, list(at)
    record.output = float(stage.output[at]) if stage.output[at].isfinite() else None
    return record
