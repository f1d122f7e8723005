"""The arithmetic of one output value as a plain record: what was read, what it was multiplied by, the sum.

Numbers are the run's own float32 values as Python floats; a value that is not finite (or that
takes no part, like MaxPool's −inf padding) is None, because JSON has neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

Index = tuple[int, ...]


def number(value: float | torch.Tensor) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def numbers(t: torch.Tensor) -> Any:
    """Nested lists of floats with non-finite values as None."""
    flat = [number(v) for v in t.detach().reshape(-1).tolist()]
    if t.dim() == 0:
        return flat[0]
    out: Any = flat
    for size in reversed(t.shape[1:]):
        out = [out[i : i + size] for i in range(0, len(out), size)]
    return out


def text(value: float | None) -> str:
    """A number as a student writes it in an equation: 4 significant digits, a true minus sign."""
    if value is None:
        return "—"
    return f"{value:.4g}".replace("-", "−")


def factor(value: float | None) -> str:
    """A factor inside a product: negative numbers in brackets, as written by hand."""
    return f"({text(value)})" if value is not None and value < 0 else text(value)


def sum_of_products(pairs: list[tuple[float, float]], shown: int = 9) -> str:
    """``0.2·0.1 + (−0.5)·(−0.3) + …``: the first few products of a dot product, then how many there are."""
    terms = [f"{factor(a)}·{factor(b)}" for a, b in pairs[:shown]]
    return " + ".join(terms) + (f" + … ({len(pairs)} products)" if len(pairs) > shown else "")


@dataclass
class Window:
    """The input values under a window, laid out like the kernel: values[c][ky][kx].

    ``rows[ky]`` / ``cols[kx]`` are the input coordinates under each kernel row and column (outside
    0…H−1 in the padding; None where no input value lands, for a transposed window off the stride
    grid). ``padded[ky][kx]`` marks cells that are not an input value.
    """

    channels: list[int]
    rows: list[int | None]
    cols: list[int | None]
    values: Any
    padded: list[list[bool]]


@dataclass
class Winner:
    """The value that won a max: its index in the layer's input and torch's flat index y·W + x."""

    index: list[int]
    flat_index: int
    value: float | None


@dataclass
class Source:
    """One input value that feeds the output with a weight (resampling, flattening, unpooling)."""

    index: list[int]
    value: float | None
    weight: float


@dataclass
class OutputArithmetic:
    """How torch got output[index] of layer ``layer``; only the fields of its rule are set."""

    equation: str  # the whole computation in one line, numbers filled in
    formula: str  # the rule in symbols
    result: float | None  # the output value, recomputed from the numbers below
    window: Window | None = None
    kernel: Any = None  # like window.values (convolutions) or a row of weights (Linear)
    inputs: Any = None  # the input row (Linear) or the values along dim (Softmax)
    products: Any = None
    sum: float | None = None
    bias: float | None = None
    divisor: float | None = None
    divisor_reason: str | None = None
    winner: Winner | None = None
    sources: list[Source] | None = None
    terms: dict[str, float | None] = field(default_factory=dict)  # named scalars: x, mean, var, eps, slope …
    notes: list[str] = field(default_factory=list)
    # Which output this is, filled in by output_arithmetic().
    layer: int = 0
    type: str = ""
    rule: str = ""
    index: list[int] = field(default_factory=list)
    output: float | None = None  # the run's own value


@dataclass
class Point:
    """One output value of one layer, with everything its arithmetic reads."""

    spec: Any  # the layer's LayerSpec
    module: torch.nn.Module  # rebuilt exactly as the run built it (same seed, same order)
    x: torch.Tensor  # the layer's input
    y: torch.Tensor  # its output
    index: Index  # into y
    indices: torch.Tensor | None = None  # the pool indices a MaxUnpool2d consumes


@dataclass
class GradTerm:
    """One contribution to ∂L/∂x at a position: ``upstream`` (a value of g = ∂L/∂output) × ``factor`` (∂output/∂x)."""

    upstream: float | None
    factor: float | None
    product: float | None
    output: list[int] | None = None  # the output value whose gradient flows back here (None: a batch-wide term)
    label: str = ""  # what the factor is: "weight[1, 0, 2, 2]", "1 / 4 (divisor)", "won the max", …


@dataclass
class GradArithmetic:
    """How layer ``layer``'s backward made ∂L/∂(its input)[index] from the upstream gradient g = ∂L/∂(its output).

    ``result`` is Σ terms' products, recomputed in float64 from the run's own numbers; ``grad`` is
    what autograd left (stage ``layer − 1``'s gradient at ``index``).
    """

    equation: str
    formula: str
    result: float | None
    terms: list[GradTerm] = field(default_factory=list)
    window: Window | None = None  # the upstream gradient under the flipped kernel (Conv2d: the ConvTranspose2d picture)
    kernel: Any = None  # the flipped kernel, laid out like window.values
    transposed: str = ""  # the same sum as one torch call, e.g. "ConvTranspose2d(g, weight, stride=2, padding=1)"
    named: dict[str, float | None] = field(default_factory=dict)  # x, f'(x), mean, var, …
    notes: list[str] = field(default_factory=list)
    layer: int = 0
    type: str = ""
    rule: str = ""
    index: list[int] = field(default_factory=list)
    grad: float | None = None
