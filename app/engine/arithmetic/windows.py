"""Windows slid over an (N, C, H, W) input: convolutions, pooling, unpooling.

Each function follows the index arithmetic of torch's own CPU kernels (aten/src/ATen/native/cpu/
MaxPoolKernel.cpp, AvgPoolKernel.cpp, AdaptiveMaxPoolKernel.cpp, MaxUnpoolKernel.cpp): which input
cells a window covers, which of them are padding, which value wins a max (the first largest in
row-major order; a NaN always wins), and what an average is divided by.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..shapes import pair
from .record import OutputArithmetic, Point, Source, Window, Winner, number, numbers, sum_of_products, text

Pair = tuple[int, int]


class Planes:
    """The input as (N, C, H, W) whatever its rank, and input indices written in the input's own rank."""

    def __init__(self, p: Point) -> None:
        self.batched = p.x.dim() == 4
        self.x = p.x if self.batched else p.x.unsqueeze(0)
        self.n, self.c, self.oy, self.ox = p.index if self.batched else (0, *p.index)
        self.h, self.w = self.x.shape[-2:]

    def at(self, c: int, y: int, x: int) -> list[int]:
        return [self.n, c, y, x] if self.batched else [c, y, x]

    def inside(self, y: int, x: int) -> bool:
        return 0 <= y < self.h and 0 <= x < self.w


def _terms(window: torch.Tensor, kernel: torch.Tensor, part: torch.Tensor) -> str:
    cells = zip(window.reshape(-1).tolist(), kernel.reshape(-1).tolist(), part.reshape(-1).tolist(), strict=True)
    return sum_of_products([(v, k) for v, k, taking_part in cells if taking_part])


def _dot(p: Point, planes: Planes, window: Window, x: torch.Tensor, part: torch.Tensor, kernel: torch.Tensor,
         formula: str) -> OutputArithmetic:
    """Σ window × kernel + bias, shared by Conv2d and ConvTranspose2d.

    ``x`` (C, kH, kW) holds the values under the kernel, ``part`` which of them take part (all for a
    convolution, padding included; only those on the stride grid for a transposed one).
    """
    nan = torch.tensor(float("nan"), dtype=torch.float64)
    products = torch.where(part, x.double() * kernel.double(), nan)
    total = float(products.nansum())
    bias = p.module.bias[planes.c] if p.module.bias is not None else None
    result = total + (float(bias) if bias is not None else 0.0)
    window.values = numbers(torch.where(part, x.double(), nan))
    equation = f"{_terms(x, kernel, part)} = {text(total)}"
    equation += f"; + bias {text(number(bias))} = {text(result)}" if bias is not None else " (no bias)"
    return OutputArithmetic(
        equation, formula, number(result), window=window, kernel=numbers(kernel), products=numbers(products),
        sum=number(total), bias=None if bias is None else number(bias),
    )


def conv_padding(module: Any) -> tuple[Pair, Pair]:
    """(top, bottom), (left, right) as torch pads; padding='same' puts an odd extra cell at the end."""
    kernel, dilation = pair(module.kernel_size), pair(module.dilation)
    if module.padding == "valid":
        return (0, 0), (0, 0)
    if module.padding == "same":
        totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
        return (totals[0] // 2, totals[0] - totals[0] // 2), (totals[1] // 2, totals[1] - totals[1] // 2)
    ph, pw = pair(module.padding)
    return (ph, ph), (pw, pw)


def convolution(p: Point) -> OutputArithmetic:
    m, planes = p.module, Planes(p)
    (kh, kw), (sh, sw), (dh, dw) = pair(m.kernel_size), pair(m.stride), pair(m.dilation)
    (top, bottom), (left, right) = conv_padding(m)
    per_group = m.in_channels // m.groups
    first = planes.c // (m.out_channels // m.groups) * per_group
    channels = list(range(first, first + per_group))
    rows = [planes.oy * sh - top + ky * dh for ky in range(kh)]
    cols = [planes.ox * sw - left + kx * dw for kx in range(kw)]
    # torch pads with F.pad for padding_mode != "zeros" (reflect, replicate, circular): same values here.
    mode = "constant" if m.padding_mode == "zeros" else m.padding_mode
    padded = F.pad(planes.x[planes.n : planes.n + 1, first : first + per_group], (left, right, top, bottom), mode=mode)[0]
    x = padded[:, [r + top for r in rows]][:, :, [c + left for c in cols]]  # (C/groups, kH, kW)
    outside = [[not planes.inside(r, c) for c in cols] for r in rows]
    window = Window(channels, list(rows), list(cols), None, outside)
    part = torch.ones_like(x, dtype=torch.bool)
    return _dot(p, planes, window, x, part, m.weight[planes.c], "Σ input window × kernel + bias")


def _transposed_source(o: int, k: int, stride: int, padding: int, dilation: int, size: int) -> int | None:
    # Input i reaches output o through kernel cell k when i·stride − padding + k·dilation = o.
    offset = o + padding - k * dilation
    i = offset // stride
    return i if offset % stride == 0 and 0 <= i < size else None


def transposed_convolution(p: Point) -> OutputArithmetic:
    m, planes = p.module, Planes(p)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(m.kernel_size), pair(m.stride), pair(m.padding), pair(m.dilation)
    per_group_in, per_group_out = m.in_channels // m.groups, m.out_channels // m.groups
    first = planes.c // per_group_out * per_group_in
    channels = list(range(first, first + per_group_in))
    rows = [_transposed_source(planes.oy, ky, sh, ph, dh, planes.h) for ky in range(kh)]
    cols = [_transposed_source(planes.ox, kx, sw, pw, dw, planes.w) for kx in range(kw)]
    x = torch.zeros(per_group_in, kh, kw, dtype=p.x.dtype)
    part = torch.zeros(per_group_in, kh, kw, dtype=torch.bool)
    for ky, r in enumerate(rows):
        for kx, c in enumerate(cols):
            if r is not None and c is not None:
                x[:, ky, kx] = planes.x[planes.n, first : first + per_group_in, r, c]
                part[:, ky, kx] = True
    window = Window(channels, rows, cols, None, [[not bool(part[0, ky, kx]) for kx in range(kw)] for ky in range(kh)])
    kernel = m.weight[first : first + per_group_in, planes.c % per_group_out]  # torch's layout: (C_in, C_out/groups, kH, kW)
    return _dot(p, planes, window, x, part, kernel, "Σ input value × kernel cell over the inputs whose spread window covers this output, + bias")


def _first_max(planes: Planes, rows: list[int], cols: list[int]) -> Winner:
    """torch's scan: maxval starts at −inf, a larger value or any NaN replaces it; ties keep the first."""
    inside_rows = [r for r in rows if 0 <= r < planes.h]
    inside_cols = [c for c in cols if 0 <= c < planes.w]
    best_y, best_x, best = inside_rows[0], inside_cols[0], float("-inf")
    plane = planes.x[planes.n, planes.c]
    for r in inside_rows:
        for c in inside_cols:
            v = float(plane[r, c])
            if v > best or v != v:
                best_y, best_x, best = r, c, v
    return Winner(planes.at(planes.c, best_y, best_x), best_y * planes.w + best_x, number(best))


def _max(p: Point, planes: Planes, rows: list[int], cols: list[int], formula: str) -> OutputArithmetic:
    plane = planes.x[planes.n, planes.c]
    outside = [[not planes.inside(r, c) for c in cols] for r in rows]
    values = [[None if out else number(plane[r, c]) for c, out in zip(cols, outs, strict=True)] for r, outs in zip(rows, outside, strict=True)]
    winner = _first_max(planes, rows, cols)
    shown = [text(v) for row in values for v in row if v is not None]
    listed = ", ".join(shown[:9]) + (f", … ({len(shown)} values)" if len(shown) > 9 else "")
    at = ", ".join(map(str, winner.index))
    y, x = divmod(winner.flat_index, planes.w)
    equation = f"max({listed}) = {text(winner.value)} at [{at}] (flat index {winner.flat_index} = {y}·{planes.w} + {x})"
    window = Window([planes.c], list(rows), list(cols), [values], outside)
    return OutputArithmetic(equation, formula, winner.value, window=window, winner=winner)


def max_pool(p: Point) -> OutputArithmetic:
    m, planes = p.module, Planes(p)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(m.kernel_size), pair(m.stride or m.kernel_size), pair(m.padding), pair(m.dilation)
    rows = [planes.oy * sh - ph + ky * dh for ky in range(kh)]
    cols = [planes.ox * sw - pw + kx * dw for kx in range(kw)]
    return _max(p, planes, rows, cols, "the largest value in the window (padding is −∞ and never wins)")


def _average(p: Point, planes: Planes, rows: list[int], cols: list[int], divisor: int, reason: str,
             padding: Pair = (0, 0), formula: str = "Σ window / divisor") -> OutputArithmetic:
    plane = planes.x[planes.n, planes.c].double()
    ph, pw = padding

    def value(r: int, c: int) -> float | None:
        if planes.inside(r, c):
            return number(plane[r, c])
        in_padding = -ph <= r < planes.h + ph and -pw <= c < planes.w + pw
        return 0.0 if in_padding else None  # zero padding, or a ceil_mode window hanging past it

    values = [[value(r, c) for c in cols] for r in rows]
    inside = [float(plane[r, c]) for r in rows for c in cols if planes.inside(r, c)]
    total = float(sum(inside))
    result = total / divisor if inside else 0.0  # torch writes 0 for a window with no input cell
    listed = " + ".join(text(v) for v in inside[:9]) + (f" + … ({len(inside)} values)" if len(inside) > 9 else "")
    window = Window([planes.c], list(rows), list(cols), [values], [[not planes.inside(r, c) for c in cols] for r in rows])
    return OutputArithmetic(
        f"({listed}) / {divisor} = {text(result)}", formula, number(result), window=window, sum=number(total),
        divisor=float(divisor), divisor_reason=reason,
    )


def avg_window(m: Any, h: int, w: int, oy: int, ox: int) -> tuple[list[int], list[int], int, str]:
    """AvgPool2d's window for output (oy, ox) of an h×w input: its rows, columns, divisor and why that divisor."""
    (kh, kw), (sh, sw), (ph, pw) = pair(m.kernel_size), pair(m.stride or m.kernel_size), pair(m.padding)
    y0, x0 = oy * sh - ph, ox * sw - pw
    rows, cols = [y0 + ky for ky in range(kh)], [x0 + kx for kx in range(kw)]
    # torch: the window is clipped to the padded input for count_include_pad, to the input otherwise.
    with_pad = (min(y0 + kh, h + ph) - y0) * (min(x0 + kw, w + pw) - x0)
    inside = max(0, min(y0 + kh, h) - max(y0, 0)) * max(0, min(x0 + kw, w) - max(x0, 0))
    if m.divisor_override:
        return rows, cols, m.divisor_override, f"divisor_override={m.divisor_override}"
    if m.count_include_pad:
        return rows, cols, with_pad, f"{with_pad} cells of the window inside the padded input (count_include_pad=True)"
    return rows, cols, inside, f"{inside} cells of the window inside the input (count_include_pad=False)"


def avg_pool(p: Point) -> OutputArithmetic:
    planes = Planes(p)
    rows, cols, divisor, reason = avg_window(p.module, planes.h, planes.w, planes.oy, planes.ox)
    return _average(p, planes, rows, cols, divisor, reason, pair(p.module.padding))


def adaptive_range(o: int, size: int, out: int) -> list[int]:
    # torch's adaptive windows: from ⌊o·size/out⌋ to ⌈(o+1)·size/out⌉ (exclusive).
    return list(range(o * size // out, -(-(o + 1) * size // out)))


def _adaptive_window(p: Point) -> tuple[Planes, list[int], list[int]]:
    planes = Planes(p)
    oh, ow = p.y.shape[-2:]
    return planes, adaptive_range(planes.oy, planes.h, oh), adaptive_range(planes.ox, planes.w, ow)


def adaptive_avg_pool(p: Point) -> OutputArithmetic:
    planes, rows, cols = _adaptive_window(p)
    n = len(rows) * len(cols)
    return _average(p, planes, rows, cols, n, f"{len(rows)}×{len(cols)} = {n} cells in this adaptive window",
                    formula="Σ window / its size; windows from ⌊o·H/H_out⌋ to ⌈(o+1)·H/H_out⌉")


def adaptive_max_pool(p: Point) -> OutputArithmetic:
    planes, rows, cols = _adaptive_window(p)
    return _max(p, planes, rows, cols, "the largest value in the window; windows from ⌊o·H/H_out⌋ to ⌈(o+1)·H/H_out⌉")


def max_unpool(p: Point) -> OutputArithmetic:
    planes = Planes(p)
    assert p.indices is not None
    indices = p.indices if planes.batched else p.indices.unsqueeze(0)
    out_w = p.y.shape[-1]
    target = planes.oy * out_w + planes.ox
    hits = (indices[planes.n, planes.c] == target).nonzero().tolist()
    sources = [Source(planes.at(planes.c, i, j), number(planes.x[planes.n, planes.c, i, j]), 1.0) for i, j in hits]
    # torch's CPU kernel writes the inputs in order, so when several point here the last one stays.
    result = sources[-1].value if sources else 0.0
    if sources:
        at = ", ".join(map(str, sources[-1].index))
        equation = f"input [{at}] = {text(result)} had its max at flat index {target} = {planes.oy}·{out_w} + {planes.ox}"
    else:
        equation = f"no pooled max came from flat index {target} = {planes.oy}·{out_w} + {planes.ox}, so 0"
    return OutputArithmetic(equation, "the input value whose pool index is this position, else 0", result, sources=sources)

