"""Checkpoints read back: trained weights for the run API (``weights_from``) and pictures of filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..engine.errors import EngineError
from ..errors import NotFoundError
from ..render import Colormap, Normalize, Picture, draw_stage, draw_weight
from .folder import JobFolder, is_job_id


class Checkpoints:
    """The jobs folder, as the run API sees it: a job's layers and its weights at an epoch."""

    def __init__(self, jobs_dir: Path) -> None:
        self.jobs_dir = jobs_dir

    def folder(self, job_id: str) -> JobFolder:
        folder = JobFolder(self.jobs_dir / job_id)
        if not is_job_id(job_id) or not (folder.path / "config.json").is_file():
            raise NotFoundError(f"weights_from names job {job_id!r}, which does not exist (GET /api/jobs lists them).")
        return folder

    def epoch(self, job_id: str, epoch: int | None) -> int:
        """The epoch asked for, or the latest; EngineError (422: the request's weights_from) when there is none."""
        folder = self.folder(job_id)
        try:
            return folder.checkpoint_epoch(epoch)
        except NotFoundError as exc:
            raise EngineError(f"weights_from: {exc}") from exc

    def layers(self, job_id: str) -> list[Any]:
        return list(self.folder(job_id).config().layers)

    def state_dict(self, job_id: str, epoch: int) -> dict[str, torch.Tensor]:
        return torch.load(self.folder(job_id).checkpoint(epoch), map_location="cpu", weights_only=True)


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
