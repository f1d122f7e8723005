"""A checkpoint's first convolution drawn: the filters a job has learned (reading weights for runs is app.models)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import NotFoundError
from ..render import Colormap, Normalize, Picture, draw_stage, draw_weight


def _position(key: str) -> int:
    return int(key.split(".", 1)[0])


def filters_picture(checkpoint: Path) -> Picture:
    """The first layer that has a convolution weight: each filter as a small RGB picture when it reads
    three channels (0 is mid-grey; one scale for all filters), else torch's layout by draw_weight."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    weights = sorted((k for k, v in state.items() if k.endswith(".weight") and v.dim() == 4), key=_position)
    if not weights:
        raise NotFoundError("This network has no convolution layer, so it has no filters to show.")
    weight = state[weights[0]].float()
    if weight.shape[1] != 3:
        return draw_weight(weight, Normalize.SHARED)
    scaled = 0.5 + weight / (2 * weight.abs().max().clamp_min(1e-12))  # (out, 3, kh, kw) in [0, 1]
    return draw_stage(scaled, from_image=True, colormap=Colormap.AUTO, normalize=Normalize.SHARED, sample=None)
