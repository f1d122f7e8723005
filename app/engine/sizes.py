"""Each layer's output size as its formula with the numbers filled in, from the real module and input shape.

``⌊(32 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 32``: the same arithmetic torch's docs give, written with
the layer's own arguments. The number after ``=`` is torch's own output size (from the meta pass);
the formula only explains it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch.nn as nn

from .registry import Arithmetic
from .shapes import Shape, pair, shape_text

Formula = Callable[[Any, Shape, Shape], str]


def _sides(make: Callable[[int], str], out: Shape) -> str:
    """``H, W: …`` when both sides read the same, else ``H: …; W: …``."""
    h, w = make(0), make(1)
    return f"H, W: {h}" if h == w and out[-2] == out[-1] else f"H: {h}; W: {w}"


def _padding(module: Any, axis: int) -> str:
    """``2·1`` for symmetric padding; ``(0 + 1)`` for padding='same' with an odd total."""
    if module.padding == "valid":
        return "2·0"
    if module.padding == "same":
        total = pair(module.dilation)[axis] * (pair(module.kernel_size)[axis] - 1)
        return f"2·{total // 2}" if total % 2 == 0 else f"({total // 2} + {total - total // 2})"
    p = pair(module.padding)[axis]
    return f"2·{p}" if p >= 0 else f"2·(−{-p})"  # negative padding crops (replicate/circular modes)


def _window(module: Any, x: Shape, y: Shape, dilated: bool) -> str:
    ceil = bool(getattr(module, "ceil_mode", False))
    open_, close = ("⌈", "⌉") if ceil else ("⌊", "⌋")

    def side(axis: int) -> str:
        size, k = x[axis - 2], pair(module.kernel_size)[axis]
        s = pair(module.stride or module.kernel_size)[axis]
        pad = _padding(module, axis)
        reach = f"{pair(module.dilation)[axis]}·({k} − 1) − 1" if dilated else f"{k}"
        out = y[axis - 2]
        text = f"{open_}({size} + {pad} − {reach}) / {s}{close} + 1"
        if ceil:
            p = pair(module.padding)[axis]
            span = size + 2 * p - (pair(module.dilation)[axis] * (k - 1) + 1 if dilated else k)
            raw = math.ceil(span / s) + 1
            if raw != out:  # torch drops a last window that would start in the right padding
                return f"{text} = {raw}, less the last window (it would start at {(raw - 1) * s} ≥ {size} + {p}, in the padding) = {out}"
        return f"{text} = {out}"

    return _sides(side, y) + (" (ceil_mode=True)" if ceil else "")


def _convolution(m: Any, x: Shape, y: Shape) -> str:
    return f"{_window(m, x, y, dilated=True)}; C_out = out_channels = {m.out_channels}"


def _transposed(m: Any, x: Shape, y: Shape) -> str:
    def side(axis: int) -> str:
        k, s, p, d = (pair(getattr(m, a))[axis] for a in ("kernel_size", "stride", "padding", "dilation"))
        extra = pair(m.output_padding)[axis]
        return f"({x[axis - 2]} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {extra} + 1 = {y[axis - 2]}"

    return f"{_sides(side, y)}; C_out = out_channels = {m.out_channels}"


def _unpool(m: Any, x: Shape, y: Shape) -> str:
    def side(axis: int) -> str:
        k, p = pair(m.kernel_size)[axis], pair(m.padding)[axis]
        s = pair(m.stride or m.kernel_size)[axis]
        default = (x[axis - 2] - 1) * s - 2 * p + k
        formula = f"({x[axis - 2]} − 1)·{s} − 2·{p} + {k}"
        return f"{formula} = {default}" if default == y[axis - 2] else f"output_size {y[axis - 2]} (the formula gives {formula} = {default})"

    return _sides(side, y)


def _adaptive(m: Any, x: Shape, y: Shape) -> str:
    def side(axis: int) -> str:
        wanted = pair(m.output_size)[axis]
        return f"output_size {wanted}" if wanted is not None else f"output_size None keeps {x[axis - 2]}"

    return _sides(side, y)


def _resample(m: Any, x: Shape, y: Shape) -> str:
    if m.size is not None:
        return _sides(lambda axis: f"size {y[axis - 2]}", y)
    scale = m.scale_factor if isinstance(m.scale_factor, tuple) else (m.scale_factor, m.scale_factor)
    return _sides(lambda axis: f"⌊{x[axis - 2]} · {scale[axis]:g}⌋ = {y[axis - 2]}", y)


def _linear(m: Any, x: Shape, y: Shape) -> str:
    return f"last dimension: in_features {m.in_features} → out_features {m.out_features}"


def _flatten(m: Any, x: Shape, y: Shape) -> str:
    start, end = m.start_dim % len(x), m.end_dim % len(x)
    merged = x[start : end + 1]
    return f"dimensions {start}…{end} merged: {'·'.join(map(str, merged))} = {math.prod(merged)}"


def _same(m: Any, x: Shape, y: Shape) -> str:
    return f"same shape as the input: {shape_text(x)}"


FORMULAS: dict[Arithmetic, Formula] = {
    Arithmetic.CONVOLUTION: _convolution,
    Arithmetic.TRANSPOSED_CONVOLUTION: _transposed,
    Arithmetic.MAX_POOL: lambda m, x, y: _window(m, x, y, dilated=True),
    Arithmetic.AVG_POOL: lambda m, x, y: _window(m, x, y, dilated=False),
    Arithmetic.ADAPTIVE_MAX_POOL: _adaptive,
    Arithmetic.ADAPTIVE_AVG_POOL: _adaptive,
    Arithmetic.MAX_UNPOOL: _unpool,
    Arithmetic.LINEAR: _linear,
    Arithmetic.RESAMPLE: _resample,
    Arithmetic.FLATTEN: _flatten,
    Arithmetic.BATCH_NORM: _same,
    Arithmetic.ELEMENTWISE: _same,
    Arithmetic.RANDOM_ELEMENTWISE: _same,
    Arithmetic.SOFTMAX: _same,
    Arithmetic.LOG_SOFTMAX: _same,
}


def size_formula(rule: Arithmetic, module: nn.Module, x: Shape, y: Shape) -> str:
    """The output size of ``module`` on input shape ``x`` (giving ``y``), numbers filled in."""
    return FORMULAS[rule](module, x, y)


def unpool_note(pool_index: int, pool_input: Shape, pool_output: Shape, unpooled: Shape) -> str | None:
    """Said when unpooling does not give back the size the pool started from (odd sizes pooled by 2)."""
    if pool_input[-2:] == unpooled[-2:]:
        return None
    size = shape_text(pool_input[-2:])
    return (
        f"Unpooling gives {shape_text(unpooled[-2:])}, not the {size} that layer {pool_index} pooled to "
        f"{shape_text(pool_output[-2:])}: several input sizes pool to the same size, so the formula cannot tell "
        f"which one it was. Give this layer output_size [{', '.join(map(str, pool_input[-2:]))}] to get {size} back."
    )
