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
from ..registry import Arithmetic, BackwardRule
from ..run import Trace, rebuild_modules
from . import grad_pointwise, grad_windows, pointwise, windows
from .grad_terms import GradPoint
from .record import GradArithmetic, GradTerm, OutputArithmetic, Point, Source, Window, Winner

__all__ = ["GradArithmetic", "GradTerm", "OutputArithmetic", "Source", "Window", "Winner", "grad_arithmetic", "output_arithmetic"]

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


GRAD_RULES: dict[BackwardRule, Callable[[GradPoint], GradArithmetic]] = {
    BackwardRule.CONVOLUTION: grad_windows.convolution,
    BackwardRule.TRANSPOSED_CONVOLUTION: grad_windows.transposed_convolution,
    BackwardRule.MAX_ROUTE: grad_windows.max_route,
    BackwardRule.AVERAGE: grad_windows.average,
    BackwardRule.GATHER: grad_windows.gather,
    BackwardRule.TRANSPOSED_WEIGHTS: grad_pointwise.transposed_weights,
    BackwardRule.BATCH_NORM: grad_pointwise.batch_norm,
    BackwardRule.MASK: grad_pointwise.mask,
    BackwardRule.DERIVATIVE: grad_pointwise.derivative,
    BackwardRule.SOFTMAX: grad_pointwise.softmax,
    BackwardRule.LOG_SOFTMAX: grad_pointwise.log_softmax,
    BackwardRule.LINEAR_MAP: grad_pointwise.linear_map,
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


def _pool_indices(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Where each max came from, as torch's forward chose it, for a pool the run did not ask for indices."""
    keep = module.return_indices
    module.return_indices = True
    try:
        return module(x)[1]
    finally:
        module.return_indices = keep


def grad_arithmetic(trace: Trace, k: int, index: Sequence[int]) -> GradArithmetic:
    """How layer k's backward made ∂L/∂(its input)[index] (stage k − 1's gradient) from ∂L/∂(its output)."""
    assert trace.grads is not None, "a run with backward"
    stage = trace.stages[k - 1]
    spec = stage.stage.spec
    x = trace.input if k == 1 else trace.stages[k - 2].output
    at = _check_index(index, tuple(x.shape), f"Layer {k} ({spec.name})'s input")
    module = rebuild_modules(trace)[k - 1]
    source = stage.stage.indices_from
    with torch.no_grad():
        indices = trace.stages[source].indices if source is not None else stage.indices
        if spec.backward is BackwardRule.MAX_ROUTE and indices is None:
            indices = _pool_indices(module, x)
        point = GradPoint(spec, module, x, stage.output, trace.grads.stages[k].tensor, trace.grads.stages[k - 1].tensor, at, indices)
        record = GRAD_RULES[spec.backward](point)
    record.layer, record.type, record.rule, record.index = k, spec.name, spec.backward.value, list(at)
    value = trace.grads.stages[k - 1].tensor[at]
    record.grad = float(value) if value.isfinite() else None
    return record
