"""An attribution laid over the input it explains: one picture, blended at a chosen opacity.

The input is drawn as the picture it is when it came from an image (values in [0, 1], 1 or 3
channels), else as grey scaled to its range; the attribution (one value per input pixel) is coloured
with the diverging palette centred on 0 when it is signed, with viridis from its minimum when not.
``opacity`` 0 is the input alone, 1 the attribution alone. Small inputs are enlarged by nearest
neighbour as the stage maps are, so each input pixel stays a square.
"""

from __future__ import annotations

import torch

from .colormaps import PALETTES, Colormap
from .maps import MAX_SIDE, Normalize, _levels, _resize, _scale, is_image_like
from .png import Picture


def _base(x: torch.Tensor, from_image: bool) -> torch.Tensor:
    """x: (C, H, W) → float RGB (3, H, W) in [0, 1]."""
    if is_image_like(x.unsqueeze(0), from_image):
        return x.float().expand(3, -1, -1) if x.shape[0] == 1 else x.float()
    grey = torch.nan_to_num(x.float().mean(0, keepdim=True), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = grey.min(), grey.max()
    return ((grey - lo) / (hi - lo).clamp_min(1e-12)).expand(3, -1, -1)


def _colours(heat: torch.Tensor, signed: bool) -> torch.Tensor:
    """heat: (H, W) → float RGB (3, H, W) in [0, 1] from the palette."""
    cmap = Colormap.DIVERGING if signed else Colormap.VIRIDIS
    levels = _levels(heat.unsqueeze(0), Normalize.SHARED, cmap)[0]  # (H, W) uint8
    return PALETTES[cmap][levels.long()].permute(2, 0, 1).float() / 255


def draw_overlay(x: torch.Tensor, heat: torch.Tensor, *, signed: bool, opacity: float, from_image: bool) -> Picture:
    """x: one input sample (C, H, W); heat: (H, W) → RGB picture of (1 − opacity)·input + opacity·colours."""
    blended = (1 - opacity) * _base(x, from_image) + opacity * _colours(heat, signed)  # (3, H, W)
    size = _scale(*blended.shape[-2:], MAX_SIDE)
    blended = _resize(blended.unsqueeze(0), size)[0]
    return Picture((blended * 255).round_().clamp_(0, 255).to(torch.uint8))
