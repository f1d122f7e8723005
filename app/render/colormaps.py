"""Colormaps as PNG palettes: a coloured map is stored as levels plus the palette, so colouring costs nothing.

viridis is interpolated from matplotlib's published anchors at steps of 0.1 (no matplotlib at run
time); the diverging map runs blue → white → red, centred on 0 for signed data (ColorBrewer's RdBu
anchors). Both are chosen for colour-blind readers: viridis grows lighter from low to high whatever
the hue vision, and RdBu's sides differ in blue against red, which protan and deutan vision keep
apart (red–green maps do not); tests/render/test_colormaps.py checks both under simulated
protanopia, deuteranopia and tritanopia.
"""

from __future__ import annotations

from enum import StrEnum

import torch


class Colormap(StrEnum):
    AUTO = "auto"  # image-like stages as RGB, signed data diverging, the rest viridis
    GREY = "grey"
    VIRIDIS = "viridis"
    DIVERGING = "diverging"


_VIRIDIS = ["440154", "482475", "414487", "355f8d", "2a788e", "21918c", "22a884", "44bf70", "7ad151", "bddf26", "fde725"]
_DIVERGING = ["053061", "2166ac", "4393c3", "92c5de", "d1e5f0", "f7f7f7", "fddbc7", "f4a582", "d6604d", "b2182b", "67001f"]


LEVELS = 255  # colour levels of a coloured map: 0..254; palette index 255 is white, the padding _grid draws


def _palette(anchors: list[str]) -> torch.Tensor:
    """Anchors interpolated to LEVELS colours, then white: uint8 (256, 3), a PNG palette."""
    rgb = torch.tensor([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in anchors], dtype=torch.float32)  # (A, 3)
    pos = torch.linspace(0, len(anchors) - 1, LEVELS)
    lo = pos.floor().long().clamp(max=len(anchors) - 2)
    frac = (pos - lo).unsqueeze(1)
    colours = (rgb[lo] * (1 - frac) + rgb[lo + 1] * frac).round().to(torch.uint8)  # (LEVELS, 3)
    return torch.cat([colours, torch.full((1, 3), 255, dtype=torch.uint8)])


PALETTES = {Colormap.VIRIDIS: _palette(_VIRIDIS), Colormap.DIVERGING: _palette(_DIVERGING)}
