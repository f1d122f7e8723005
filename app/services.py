"""The long-lived objects the app owns, made once in the lifespan and passed to the routes.

Each is an interface the web layer calls; none of them imports FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from .settings import Settings


class Cifar10Images(Protocol):
    """CIFAR-10 decoded once and kept as a uint8 tensor, whatever the source."""

    def images(self, split: str, start: int, count: int) -> torch.Tensor:
        """uint8 (count, 3, 32, 32); raises app.errors.NotFoundError for indices outside the split."""
        ...

    def label(self, split: str, index: int) -> int:
        """The class (0–9) of one image."""
        ...


class UploadStore(Protocol):
    def tensor(self, upload_id: str, *, resize: tuple[int, int] | None, grayscale: bool) -> torch.Tensor:
        """float32 (1, C, H, W) in [0, 1] as ToTensor gives it; raises app.errors.NotFoundError for an unknown id."""
        ...


class DownloadProgress(Protocol):
    def progress(self) -> dict[str, object]:
        """{"state": "downloading" | "unpacking" | "done" | "failed", "bytes", "total", "error"}."""
        ...


@dataclass
class Services:
    settings: Settings
    cifar10: Cifar10Images  # replaced, whole, when a background download finishes
    uploads: UploadStore
    cifar10_download: DownloadProgress | None = None
