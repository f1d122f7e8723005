"""Uploaded images (placeholder until the images work lands: every id is unknown)."""

from __future__ import annotations

import torch

from ..errors import NotFoundError
from ..settings import Settings


class UploadDirectory:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def tensor(self, upload_id: str, *, resize: tuple[int, int] | None, grayscale: bool) -> torch.Tensor:
        raise NotFoundError(f"No upload with id {upload_id!r}.")
