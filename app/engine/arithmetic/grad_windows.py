"""∂L/∂x at one input position of a layer that slides a window: which outputs read it, and with what factor.

The chain rule sums over every output the position took part in: ∂L/∂x = Σ_o g[o] · ∂y[o]/∂x. For a
convolution ∂y[o]/∂x is the kernel weight that touched x (the sum is then ConvTranspose2d of g with the
same weight, stride and padding: the "flipped kernel" picture); for a max it is 1 where x won the
window (torch's indices say which, ties included) and 0 elsewhere; for an average 1 / the divisor the
forward used. Index arithmetic as in :mod:`.windows`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..registry import Arithmetic
from ..shapes import pair
from .grad_terms import GradPoint, summed, term
from .record import GradArithmetic, GradTerm, Window, number, numbers
from .windows import adaptive_range, avg_window, conv_padding


class Grid:
    """x and g as (N, C, H, W) whatever their rank, and indices written in the input's own rank."""

    def __init__(self, p: GradPoint) -> None:
        self.batched = p.x.dim() == 4
        self.x = p.x if self.batched else p.x.unsqueeze(0)
        self.g = p.g if self.batched else p.g.unsqueeze(0)
        self.n, self.c, self.y, self.xx = p.index if self.batched else (0, *p.index)
        self.h, self.w = self.x.shape[-2:]
        self.oh, self.ow = self.g.shape[-2:]

    def at(self, c: int, y: int, x: int) -> list[int]:
        return [self.n, c, y, x] if self.batched else [c, y, x]

    def upstream(self, c: int, y: int, x: int) -> float:
        return float(self.g[self.n, c, y, x])


def _sources(m: torch.nn.Module, h: int, w: int) -> torch.Tensor:
    """For each cell of the padded input, the flat index y·W + x of the input value it holds (−1: zero padding)."""
    (top, bottom), (left, right) = conv_padding(m)
    plane = torch.arange(h * w, dtype=torch.float64).reshape(1, 1, h, w)
    if m.padding_mode == "zeros":
        return F.pad(plane, (left, right, top, bottom), value=-1.0)[0, 0]
    return F.pad(plane, (left, right, top, bottom), mode=m.padding_mode)[0, 0]  # reflect, replicate, circular copy edges


def convolution(p: GradPoint) -> GradArithmetic:
    m, q = p.module, Grid(p)
    (kh, kw), (sh, sw), (dh, dw) = pair(m.kernel_size), pair(m.stride), pair(m.dilation)
    (top, _), (left, _) = conv_padding(m)
    per_in, per_out = m.in_channels // m.groups, m.out_channels // m.groups
    group, local = divmod(q.c, per_in)
    outs = range(group * per_out, (group + 1) * per_out)
    sources, target = _sources(m, q.h, q.w), q.y * q.w + q.xx
    rows, cols = torch.arange(q.oh) * sh, torch.arange(q.ow) * sw
    terms: list[GradTerm] = []
    for co in outs:
        for ky in range(kh):
            for kx in range(kw):
                # Output (oy, ox) read padded cell (oy·stride + ky·dilation, ox·stride + kx·dilation) with weight[co, c, ky, kx].
                hits = (sources[rows + ky * dh][:, cols + kx * dw] == target).nonzero().tolist()
                terms += [term(q.upstream(co, oy, ox), m.weight[co, local, ky, kx], q.at(co, oy, ox), f"weight[{co}, {local}, {ky}, {kx}]")
                          for oy, ox in hits]
    # The same sum drawn as ConvTranspose2d draws it: the kernel flipped, over g spread out by the stride.
    def source(o: int, k: int, stride: int, pad: int, dil: int, size: int, out: int) -> int | None:
        offset = o + pad - k * dil
        return offset // stride if offset % stride == 0 and 0 <= offset // stride < out else None

    flipped_rows = [source(q.y, ky, sh, top, dh, q.h, q.oh) for ky in reversed(range(kh))]
    flipped_cols = [source(q.xx, kx, sw, left, dw, q.w, q.ow) for kx in reversed(range(kw))]
    values = [[[None if r is None or c is None else number(q.upstream(co, r, c)) for c in flipped_cols] for r in flipped_rows] for co in outs]
    window = Window(list(outs), flipped_rows, flipped_cols, values, [[r is None or c is None for c in flipped_cols] for r in flipped_rows])
    kernel = numbers(m.weight[outs.start : outs.stop, local].flip(-1, -2))
    transposed = (f"F.conv_transpose2d(g, weight, stride=({sh}, {sw}), padding=({top}, {left}), dilation=({dh}, {dw}), groups={m.groups})"
                  f" at {q.at(q.c, q.y, q.xx)}")
    notes = [f"{len(terms)} outputs × kernel cells read this value: the window slid over it at every output whose window covers it."]
    if m.padding_mode != "zeros":
        notes.append(f"padding_mode={m.padding_mode!r}: an edge value is also copied into the padding, so outputs that read the copy send "
                     "their gradient back here too (listed in the terms; the picture shows the direct positions only).")
    return summed(terms, "Σ over outputs o whose window covers x: g[o] · the kernel weight that touched x", window=window, kernel=kernel,
                  transposed=transposed, notes=notes)


def transposed_convolution(p: GradPoint) -> GradArithmetic:
    m, q = p.module, Grid(p)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(m.kernel_size), pair(m.stride), pair(m.padding), pair(m.dilation)
    per_in, per_out = m.in_channels // m.groups, m.out_channels // m.groups
    group = q.c // per_in
    terms: list[GradTerm] = []
    for local in range(per_out):
        co = group * per_out + local
        for ky in range(kh):
            for kx in range(kw):
                # Input (y, x) was spread to output (y·stride − padding + ky·dilation, likewise x) with weight[c, co, ky, kx].
                oy, ox = q.y * sh - ph + ky * dh, q.xx * sw - pw + kx * dw
                if 0 <= oy < q.oh and 0 <= ox < q.ow:
                    terms.append(term(q.upstream(co, oy, ox), m.weight[q.c, local, ky, kx], q.at(co, oy, ox), f"weight[{q.c}, {local}, {ky}, {kx}]"))
    transposed = f"F.conv2d(g, weight, stride=({sh}, {sw}), padding=({ph}, {pw}), dilation=({dh}, {dw}), groups={m.groups}) at {q.at(q.c, q.y, q.xx)}"
    return summed(terms, "Σ over the outputs x was spread to: g[o] · the kernel weight that carried it there", transposed=transposed)


def max_route(p: GradPoint) -> GradArithmetic:
    q = Grid(p)
    assert p.indices is not None
    indices = p.indices if q.batched else p.indices.unsqueeze(0)
    flat = q.y * q.w + q.xx
    won = (indices[q.n, q.c] == flat).nonzero().tolist()
    terms = [term(q.upstream(q.c, oy, ox), 1.0, q.at(q.c, oy, ox), "won this output's max") for oy, ox in won]
    notes = [f"x is at flat index {flat} = {q.y}·{q.w} + {q.xx}; it won {len(won)} window(s). Every other value of a window gets 0 "
             "(ties: torch's indices name the winner, the first largest in row-major order)."]
    return summed(terms, "Σ over the windows whose max x was: g[o] (the other values of a window get nothing)", notes=notes)


def _average_windows(p: GradPoint, q: Grid) -> list[tuple[int, int, list[int], list[int], int, str]]:
    if p.spec.arithmetic is Arithmetic.ADAPTIVE_AVG_POOL:  # type: ignore[attr-defined]
        windows = []
        for oy in range(q.oh):
            for ox in range(q.ow):
                rows, cols = adaptive_range(oy, q.h, q.oh), adaptive_range(ox, q.w, q.ow)
                windows.append((oy, ox, rows, cols, len(rows) * len(cols), f"{len(rows)}×{len(cols)} cells in this adaptive window"))
        return windows
    return [(oy, ox, *avg_window(p.module, q.h, q.w, oy, ox)) for oy in range(q.oh) for ox in range(q.ow)]


def average(p: GradPoint) -> GradArithmetic:
    q = Grid(p)
    terms = [term(q.upstream(q.c, oy, ox), 1 / divisor, q.at(q.c, oy, ox), f"1 / {divisor}: {reason}")
             for oy, ox, rows, cols, divisor, reason in _average_windows(p, q) if q.y in rows and q.xx in cols]
    return summed(terms, "Σ over the windows that cover x: g[o] / the divisor that window's average used")


def gather(p: GradPoint) -> GradArithmetic:
    q = Grid(p)
    assert p.indices is not None
    indices = p.indices if q.batched else p.indices.unsqueeze(0)
    flat = int(indices[q.n, q.c, q.y, q.xx])
    oy, ox = divmod(flat, q.ow)
    terms = [term(q.upstream(q.c, oy, ox), 1.0, q.at(q.c, oy, ox), f"unpooled to flat index {flat} = {oy}·{q.ow} + {ox}")]
    notes = ["torch's backward reads g where the pool index sent x, even if another value was written over it there."]
    return summed(terms, "g at the position x's pool index put it", notes=notes)
