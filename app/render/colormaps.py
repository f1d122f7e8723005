"""Colour lookup tables as uint8 (256, 3) tensors, so colouring a map is one index operation.

viridis is interpolated from matplotlib's published anchors at steps of 0.1 (no matplotlib at run
time); the diverging map runs blue → white → red, centred on 0 for signed data (RdBu-like).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import torch


class Colormap(StrEnum):
    AUTO = "auto"  # image-like stages as RGB, signed data diverging, the rest viridis
    GREY = "grey"
    VIRIDIS = "viridis"
    DIVERGING = "diverging"


_VIRIDIS = ["440154", "482475", "414487", "355f8d", "2a788e", "21918c", "22a884", "44bf70", "7ad151", "bddf26", "fde725"]
_DIVERGING = ["053061", "2166ac", "4393c3", "92c5de", "d1e5f0", "f7f7f7", "fddbc7", "f4a582", "d6604d", "b2182b", "67001f"]


def _lut(anchors: list[str]) -> torch.Tensor:
    rgb = torch.tensor([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in anchors], dtype=torch.float32)  # (A, 3)
    pos = torch.linspace(0, len(anchors) - 1, 256)
    lo = pos.floor().long().clamp(max=len(anchors) - 2)
    frac = (pos - lo).unsqueeze(1)
    return (rgb[lo] * (1 - frac) + rgb[lo + 1] * frac).round().to(torch.uint8)  # (256, 3)


LUTS = {Colormap.VIRIDIS: _lut(_VIRIDIS), Colormap.DIVERGING: _lut(_DIVERGING)}


def apply(levels: torch.Tensor, colormap: Colormap) -> torch.Tensor:
    """``levels``: uint8 (..., H, W) → uint8 channels last (..., H, W, 3), or (..., H, W, 1) for grey."""
    if colormap is Colormap.GREY:
        return levels.unsqueeze(-1)
    # numpy's take on a uint8 table: measured ~3x faster than torch indexing with int64 indices.
    return torch.from_numpy(np.take(LUTS[colormap].numpy(), levels.numpy(), axis=0))  # (..., H, W, 3)
